import Synchronization

/// Tells waiters (the agent's long poll on `decisions`, the notification dispatcher) that the
/// queue changed: bumped after a transaction that changed an exception has committed, so a
/// waiter that wakes reads the change.
public final class QueueChanges: Sendable {
    private struct State {
        var version: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The current version: pass it to `wait(after:)`.
    public var version: UInt64 { state.withLock { $0.version } }

    /// Something changed: wakes every waiter.
    public func bump() {
        let woken = state.withLock { state in
            state.version &+= 1
            let waiters = Array(state.waiters.values)
            state.waiters = [:]
            return waiters
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns once the version has moved past `version` or `clock` has reached `deadline`.
    public func wait(after version: UInt64, orUntil deadline: UInt64, on clock: any WallClock) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait(after: version) }
            group.addTask { try? await clock.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns once the version has moved past `version`, or when the task is cancelled.
    public func wait(after version: UInt64) async {
        let id = state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.version != version || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
