/// One (class, owner) group of the queue counters.
struct QueueGroupKey: Hashable {
    var exceptionClass: String
    var owner: String
}
