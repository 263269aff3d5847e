"""What the interop scripts share: counting checks and printing what failed."""


class Checks:
    def __init__(self, mode):
        self.mode = mode
        self.passed = 0
        self.failed = 0

    def check(self, what, got, want):
        if got == want:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL [{self.mode}] {what}: got {got!r}, want {want!r}")

    def finish(self, name):
        """Prints the tally and returns the exit status."""
        print(f"{name} {self.mode}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0
