// Fuzz target: Checkpoint.decodeFile, what afme_model_load and afme_model_load_from_buffer run on a file's
// bytes. Most random mutations would only ever meet the CRC, so the target re-seals each input with a
// correct checksum first: the decoder's field and size checks are what gets explored. Properties: no
// trap and no allocation beyond the input's size (the run is limited by -rss_limit_mb); an accepted
// version-2 input re-encodes to exactly the same bytes, and any accepted input re-encodes in the current
// format to bytes that decode and re-encode to themselves; an accepted model scores, ranks and selects a
// top-k without a trap; an accepted resume state either is refused or continues training on the seeds'
// graph without a trap.

/// The graph the seeds' models trained on: a mutated resume state that still matches it is resumed.
nonisolated(unsafe) var fuzzGraph: KnowledgeGraph? = nil

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    var spec = SyntheticGraphSpec()
    spec.entities = 12; spec.relations = 2; spec.modalityDims = [3, 2]; spec.missingFractions = [0.25, 0]
    let kg = try! SyntheticGraph.make(spec)
    var t = TrainingConfig()
    t.dim = 4; t.negatives = 2; t.batchSize = 8; t.epochs = 1; t.validateEvery = 0; t.threads = 1
    var a = AFMEConfig()
    a.attentionLayers = 1; a.attentionTokens = 2; a.noiseDim = 2; a.discriminatorHidden = 2
    let afme = try! AFMETraining.train(graph: kg, training: t, config: a).0
    var rng = SplitMix64(seed: 1)
    let rotate = KGEModel(
        score: ScoreFunction(kind: .rotatE, dim: 3, gamma: 4, epsilon: 2), entityCount: 4, relationCount: 2, rng: &rng)
    let transe = KGEModel(
        score: ScoreFunction(kind: .transE, dim: 2, gamma: 4, epsilon: 2), entityCount: 3, relationCount: 1, rng: &rng)
    let euclidean = KGEModel(
        score: ScoreFunction(kind: .rotatEEuclidean, dim: 2, gamma: 4, epsilon: 2), entityCount: 3, relationCount: 2,
        rng: &rng)
    let labels = try! Labels(entities: (0..<4).map { "entity \($0)" }, relations: ["r0", "r1"])
    fuzzGraph = kg
    var stoppedRequest = try! ModelRequest(kind: "rotate")
    stoppedRequest.training = t; stoppedRequest.training.epochs = 3
    let (stopped, run) = try! ModelRegistry.train(graph: kg, request: stoppedRequest) { $0.epoch < 1 }
    var peers: [(String, [UInt8])] = []
    for kind in ["adamf_mat", "native"] {
        var r = try! ModelRequest(kind: kind)
        r.training = t
        try! r.set("noise_dim", "2"); try! r.set("generator_hidden", "3"); try! r.set("adversarial_weight", "0.1")
        let (m, run) = try! ModelRegistry.train(graph: kg, request: r) { $0.epoch < 1 }
        peers.append(("\(kind).ckpt", Checkpoint.encode(m, history: run.history, resume: run.resume)))
    }
    var momok = try! ModelRequest(kind: "momok")
    momok.training = t
    try! momok.set("experts", "2"); try! momok.set("relation_dim", "3")
    peers.append(("momok.ckpt", Checkpoint.encode(try! ModelRegistry.train(graph: kg, request: momok).0)))
    writeSeeds(
        peers + [
            ("rotate-resume.ckpt", Checkpoint.encode(stopped, history: run.history, resume: run.resume)),
            ("afme.ckpt", Checkpoint.encode(afme)), ("rotate.ckpt", Checkpoint.encode(rotate, labels: labels)),
            ("transe.ckpt", Checkpoint.encode(transe)), ("rotate-l2.ckpt", Checkpoint.encode(euclidean)),
            ("afme-v2.ckpt", Checkpoint.encodeVersion2(afme)), ("rotate-v2.ckpt", Checkpoint.encodeVersion2(rotate)),
        ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = bytes(data, size)
    if input.count >= 4 {
        let crc = CRC32.checksum(input[0..<(input.count - 4)])
        for i in 0..<4 { input[input.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    }
    guard let file = try? Checkpoint.decodeFile(input) else { return 0 }
    let scorer = file.model.scorer(threads: 1)
    if file.formatVersion == 2 {
        let reencoded =
            (file.model as? KGEModel).map(Checkpoint.encodeVersion2)
            ?? (file.model as? AFMEModel).map(Checkpoint.encodeVersion2)
        require(reencoded == input, "an accepted version-2 checkpoint re-encodes differently")
    }
    // The current format: what the decoder accepted re-encodes to a file that decodes to the same bytes again.
    let current = Checkpoint.encode(file.model, labels: file.labels)
    let again = try? Checkpoint.decodeFile(current)
    require(
        again.map { Checkpoint.encode($0.model, labels: $0.labels) } == current,
        "re-encoding an accepted checkpoint is not a fixed point")
    if let state = file.resume, let graph = fuzzGraph {
        _ = try? ModelRegistry.resume(
            graph: graph, model: file.model, state: state, history: file.history, epochs: state.epochsDone + 1)
    }
    let E = scorer.entityCount, R = scorer.relationCount
    let queries = [
        Query(entity: 0, relation: 0, direction: .tail), Query(entity: E - 1, relation: R - 1, direction: .head),
    ]
    var out = [Float](repeating: 0, count: 2 * E)
    queries.withUnsafeBufferPointer { q in
        out.withUnsafeMutableBufferPointer { scorer.scoreAllCandidates(q, out: $0.baseAddress!) }
    }
    let triples = [Triple(0, 0, E - 1), Triple(E - 1, R - 1, 0)]
    var ts = [Float](repeating: 0, count: 2)
    triples.withUnsafeBufferPointer { t in
        ts.withUnsafeMutableBufferPointer { scorer.scoreTriples(t, out: $0.baseAddress!) }
    }
    // Finite weights can still overflow to non-finite scores (afme.h, afme_model_score): ranking and
    // top-k must cope with whatever the scan wrote.
    let (best, worst) = out.withUnsafeBufferPointer {
        FilteredRanker.rank($0.baseAddress!, count: E, truth: E - 1, known: [0])
    }
    require(1 <= best && best <= worst && Int(worst) <= E, "ranks \(best)…\(worst) among \(E) candidates")
    let top = out.withUnsafeBufferPointer { TopK.select($0.baseAddress!, count: E, k: 3, skip: [1]) }
    require(top.count <= 3 && top.allSatisfy { $0.entity != 1 && !$0.score.isNaN }, "top-k kept a skipped or NaN entry")
    return 0
}
