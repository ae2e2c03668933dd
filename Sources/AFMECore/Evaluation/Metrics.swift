// Rank metrics under explicit tie handling.

/// How candidates that score exactly like the true entity count.
public enum TieHandling: Int, Sendable, CaseIterable {
    /// Mean of optimistic and pessimistic rank: the expected rank under random tie-breaking (default).
    case realistic = 0
    /// Only strictly better candidates count (rank = 1 + #better).
    case optimistic = 1
    /// Every tie counts as better (rank = 1 + #better + #ties).
    case pessimistic = 2
    /// The OpenKE tester used by the published MMKGC tables: optimistic ranks of float32 scores,
    /// head and tail averaged. Numerically the same ranks as `.optimistic`; named so results are comparable.
    case openKE = 3

    public var name: String { ["realistic", "optimistic", "pessimistic", "openke"][rawValue] }
}

public enum DirectionFilter: Int, Sendable { case both = 0, tail = 1, head = 2 }

/// MR, MRR and Hits@k over a set of ranks. MRR and Hits are fractions in [0, 1].
public struct RankingMetrics: Sendable, Equatable {
    public var count: Int
    public var meanRank: Double
    public var mrr: Double
    public var hits1: Double
    public var hits3: Double
    public var hits10: Double

    public init(count: Int, meanRank: Double, mrr: Double, hits1: Double, hits3: Double, hits10: Double) {
        self.count = count; self.meanRank = meanRank; self.mrr = mrr; self.hits1 = hits1; self.hits3 = hits3;
        self.hits10 = hits10
    }

    public init(ranks: [Double]) {
        count = ranks.count
        let n = Double(max(ranks.count, 1))
        var mr = 0.0, rr = 0.0, h1 = 0.0, h3 = 0.0, h10 = 0.0
        for r in ranks {
            mr += r; rr += 1 / r
            if r <= 1 { h1 += 1 }
            if r <= 3 { h3 += 1 }
            if r <= 10 { h10 += 1 }
        }
        meanRank = mr / n; mrr = rr / n; hits1 = h1 / n; hits3 = h3 / n; hits10 = h10 / n
    }
}

/// Optimistic and pessimistic ranks of every evaluated query; every metric is derived from these.
public struct EvaluationReport: Sendable {
    /// Per evaluated triple, in input order: rank of the true tail / head.
    public var tailOptimistic: [Int32] = []
    public var tailPessimistic: [Int32] = []
    public var headOptimistic: [Int32] = []
    public var headPessimistic: [Int32] = []
    public var seconds: Double = 0
    /// Full filtered ranking or a sample (SampledRanker): every printed metric carries its label.
    public var ranking: RankingProtocol = .full

    public init(
        tailOptimistic: [Int32] = [], tailPessimistic: [Int32] = [], headOptimistic: [Int32] = [],
        headPessimistic: [Int32] = [], seconds: Double = 0
    ) {
        self.tailOptimistic = tailOptimistic; self.tailPessimistic = tailPessimistic
        self.headOptimistic = headOptimistic; self.headPessimistic = headPessimistic; self.seconds = seconds
    }

    public func ranks(_ ties: TieHandling, _ direction: DirectionFilter) -> [Double] {
        func pick(_ opt: [Int32], _ pes: [Int32]) -> [Double] {
            switch ties {
            case .optimistic, .openKE: return opt.map(Double.init)
            case .pessimistic: return pes.map(Double.init)
            case .realistic: return zip(opt, pes).map { (Double($0) + Double($1)) / 2 }
            }
        }
        switch direction {
        case .tail: return pick(tailOptimistic, tailPessimistic)
        case .head: return pick(headOptimistic, headPessimistic)
        case .both: return pick(tailOptimistic, tailPessimistic) + pick(headOptimistic, headPessimistic)
        }
    }

    public func metrics(_ ties: TieHandling = .realistic, _ direction: DirectionFilter = .both) -> RankingMetrics {
        RankingMetrics(ranks: ranks(ties, direction))
    }

    /// The report restricted to the triples whose `keep` entry is true (`keep` has one entry per triple).
    public func subset(_ keep: [Bool]) -> EvaluationReport {
        func pick(_ v: [Int32]) -> [Int32] { zip(v, keep).compactMap { $1 ? $0 : nil } }
        var report = EvaluationReport(
            tailOptimistic: pick(tailOptimistic), tailPessimistic: pick(tailPessimistic),
            headOptimistic: pick(headOptimistic), headPessimistic: pick(headPessimistic), seconds: seconds)
        report.ranking = ranking
        return report
    }
}
