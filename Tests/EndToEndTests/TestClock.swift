import Storage
import Synchronization

/// A wall clock the test moves by hand: `sleep(until:)` returns once `advance` passes the
/// deadline, or at once when the sleeping task is cancelled.
final class TestClock: WallClock {
    private struct Sleeper {
        var id: Int
        var deadline: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now: UInt64
        var nextID = 0
        var sleepers: [Sleeper] = []
    }

    private let state: Mutex<State>

    init(now: UInt64 = 1_800_000_000_000_000_000) {
        state = Mutex(State(now: now))
    }

    func now() -> UInt64 { state.withLock { $0.now } }

    func advance(bySeconds seconds: UInt64) {
        let woken = state.withLock { state in
            state.now += seconds * 1_000_000_000
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    func sleep(until deadline: UInt64) async throws {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    if deadline <= state.now || Task.isCancelled { return true }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume()
        }
        try Task.checkCancellation()
    }
}
