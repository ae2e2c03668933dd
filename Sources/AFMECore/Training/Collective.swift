// Data-parallel training across processes or machines, without a transport of its own: the host (an MPI
// program, torch.distributed, threads in a test) supplies the one operation the loop needs.

/// The communication data-parallel training needs: this replica's rank among `size`, and an in-place
/// element-wise sum over all replicas. Every rank calls `allReduceSum` the same number of times, in the
/// same order, with the same count.
public protocol Collective: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Sums `values` over all ranks in place (every rank ends with the same sums). False if the
    /// communication failed; training then stops with an error.
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) -> Bool
}

/// A collective carried by `TrainingConfig`: compared by identity, so the configuration stays Equatable;
/// the host guarantees the thread-safety `Sendable` claims (the loop calls it from one thread).
public final class CollectiveHandle: @unchecked Sendable, Equatable {
    public let collective: Collective
    /// How row-sparse sessions sum their entity table (the others sum their whole parameter vector).
    public let rowSync: RowSync
    public init(_ collective: Collective, rowSync: RowSync = .automatic) {
        self.collective = collective; self.rowSync = rowSync
    }
    public static func == (a: CollectiveHandle, b: CollectiveHandle) -> Bool { a === b }
}

/// One epoch of synchronous data-parallel training. Every rank holds the same weights and the same
/// shuffled order; batch b goes to rank b mod size. After each round (one batch per rank) the ranks sum
/// their weight changes, so every batch's update is applied once, as in one process, and the weights
/// are equal again. A round costs one all-reduce of the whole parameter vector, or, for a session whose
/// entity table changes only in the rows a step touched, of the rest and the touched rows (docs/SCALE.md).
enum DataParallel {
    /// The negative draws of rank `rank` in an epoch whose shuffle left the loop's stream at `state`: each
    /// rank its own stream, all derived from the shared one, so a resumed run draws the same.
    static func stepStream(_ state: UInt64, rank: Int) -> SplitMix64 {
        SplitMix64(seed: state ^ (UInt64(rank + 1) &* 0xD6E8_FEB8_6659_FD93))
    }

    /// Trains this rank's share of `order`; returns the loss summed over every rank's batches and the
    /// number of batches of the epoch, or nil when the communication failed.
    static func epoch<S: TrainingSession>(
        _ session: S, order: [Triple], batchSize: Int, stream: UInt64, collective c: Collective,
        rowSync: RowSync = .automatic
    ) -> (lossSum: Double, batches: Int)? {
        if let rows = session as? any RowSparseParameters {
            return rowSparseEpoch(
                session, rows: rows, order: order, batchSize: batchSize, stream: stream, collective: c, mode: rowSync)
        }
        var rng = stepStream(stream, rank: c.rank)
        let batches = (order.count + batchSize - 1) / batchSize
        guard var base = session.parameterVector() else { return nil }
        var delta = [Float](repeating: 0, count: base.count)
        var loss: Float = 0
        var round = 0
        while round * c.size < batches {
            let b = round * c.size + c.rank
            if b < batches {
                loss += session.step(order[(b * batchSize)..<min((b + 1) * batchSize, order.count)], rng: &rng)
                let now = session.parameterVector()!
                for i in 0..<base.count { delta[i] = now[i] - base[i] }
            } else {
                for i in 0..<delta.count { delta[i] = 0 }
            }
            guard delta.withUnsafeMutableBufferPointer({ c.allReduceSum($0) }) else { return nil }
            for i in 0..<base.count { base[i] += delta[i] }
            session.setParameterVector(base)
            round += 1
        }
        var total: [Float] = [loss]
        guard total.withUnsafeMutableBufferPointer({ c.allReduceSum($0) }) else { return nil }
        return (Double(total[0]), batches)
    }

    /// True on every rank if any rank asks to stop (or false for all); nil when the communication failed.
    static func anyRank(_ flag: Bool, _ c: Collective) -> Bool? {
        var v: [Float] = [flag ? 1 : 0]
        guard v.withUnsafeMutableBufferPointer({ c.allReduceSum($0) }) else { return nil }
        return v[0] > 0
    }
}
