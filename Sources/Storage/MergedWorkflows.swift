/// A round's workflow merges, each absorbed workflow sent straight to the workflow it ends in
/// (a chain A → B → C sends A to C), for statements that apply them all at once.
struct MergedWorkflows {
    /// The absorbed workflows, in id order.
    let absorbed: [Int64]
    /// The workflow each of `absorbed` ends in, in the same order.
    let ends: [Int64]

    /// `merges` in the order they were made.
    init(_ merges: [(absorbed: Int64, survivor: Int64)]) {
        var into: [Int64: Int64] = [:]
        for merge in merges { into[merge.absorbed] = merge.survivor }
        absorbed = into.keys.sorted()
        ends = absorbed.map { workflow in
            var workflow = workflow
            while let next = into[workflow] { workflow = next }
            return workflow
        }
    }

    var isEmpty: Bool { absorbed.isEmpty }
}
