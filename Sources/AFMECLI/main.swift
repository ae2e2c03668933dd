// afme-cli: train and evaluate on the built-in dataset or an OpenKE folder; the README's main job
// and the benchmarks drive it. Prints human-readable lines; `--json` adds one machine-readable line.
import AFMECore
#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var data: String? = nil
    /// --scale SPEC: a generated scale graph (ScaleGraphSpec's key=value text); --scale-cache DIR keeps it.
    var scale: String? = nil
    var scaleCache: String? = nil
    /// --test-limit N: evaluate the first N test triples only (0 = all).
    var testLimit = 0
    /// --eval-sampled N: rank against N random candidates per query (OGB wikikg2) instead of every entity;
    /// --eval-unfiltered keeps known answers in the sample (OGB's own reading).
    var evalSampled = 0
    var evalUnfiltered = false
    var config = TrainingConfig()
    var json = false
    var topk = 3
    var examples = 0
    var afme: AFMEConfig? = nil
    /// A kind named by --model that is neither structural nor AFME (its options come through --set).
    var kind: String? = nil
    /// The request --set produced (it carries the configurations of kinds that keep theirs by key).
    var request: ModelRequest? = nil
    var text = false
    /// --modality NAME=PATH.npy, in order.
    var modalities: [(String, String)] = []
    var weights = false
    var save: String? = nil
    var history: String? = nil
    /// --set KEY=VALUE pairs, applied through the option table after every flag.
    var settings: [(String, String)] = []

    /// Any AFME flag selects AFME and edits its configuration.
    mutating func setAFME(_ edit: (inout AFMEConfig) -> Void) {
        var c = afme ?? AFMEConfig()
        edit(&c)
        afme = c
    }
}

func usage(_ status: Int32 = 2) -> Never {
    print(
        """
        usage: afme-cli [--data DIR | --scale SPEC [--scale-cache DIR]] [--test-limit N] [--eval-sampled N [--eval-unfiltered]] [--model \(ModelKinds.names.joined(separator: "|"))] [--set KEY=VALUE ...] [--list-options] [--dim N] [--gamma G] [--negatives K] [--batch B]
                        [--epochs N] [--lr LR] [--adv-temperature A] [--bernoulli] [--filter-negatives] [--l2 L]
                        [--seed S] [--threads T] [--validate-every N] [--patience P] [--time-limit SECONDS]
                        [--examples N] [--topk K] [--json] [--save MODEL.afme] [--history H.jsonl]
           AFME:        [--afme] [--text] [--modality NAME=PATH.npy] [--no-moifu] [--no-moien] [--no-denoise]
                        [--no-confidence] [--no-smoothing] [--attention-layers L] [--tokens T] [--alpha A]
                        [--lambda1 X] [--lambda2 X] [--gp-weight X] [--g-lr LR] [--d-lr LR] [--adv-samples N]
                        [--gate-phases] [--guide-ones] [--intermodal-printed] [--missing-random]
                        [--weights] [--negative-pool P] [--enhance-all]
                        [--completion-dropout P] [--synthetic-negatives W] [--noise-scale S]
                        [--completion-full] [--placement K (0 = off)] [--placement-keep C]
        Without --data the built-in synthetic multi-modal graph is used. --scale generates a power-law graph
        ("entities=4594485 relations=822 triples=21000000 feature_dim=384 ..."; ScaleGraphSpec lists the keys),
        kept in --scale-cache DIR so the next run reads it instead of generating it. --text adds DIR/text.npy as a modality;
        --random-modality adds a random DIM-wide one; --drop-rows removes that fraction of the first modality's
        rows (seed 12345); --noise-rows adds Gaussian noise of the row's own norm to that fraction of every
        modality's rows (seed 54321). Any AFME flag selects AFME. --set takes any option of the table by name
        (--list-options prints it: name, type, kinds, domain, default, doc); it is applied after the flags.
        """)
    exit(status)
}

/// The option table as tab-separated lines: name, type, kinds, domain, default, doc.
func listOptions() -> Never {
    print("name\ttype\tkinds\tdomain\tdefault\tdoc")
    for o in OptionTable.all {
        print(
            [
                o.name, o.type.typeName, o.kinds.isEmpty ? "all" : o.kinds.joined(separator: ","), o.type.domain,
                o.defaultValue, o.doc,
            ].joined(separator: "\t"))
    }
    exit(0)
}

func parse() -> Options {
    var o = Options()
    var args = Array(CommandLine.arguments.dropFirst())
    func next<T: LosslessStringConvertible>(_ flag: String) -> T {
        guard !args.isEmpty, let v = T(args.removeFirst()) else { print("bad value for \(flag)"); usage() }
        return v
    }
    while !args.isEmpty {
        let a = args.removeFirst()
        switch a {
        case "--data": o.data = next(a) as String
        case "--scale": o.scale = next(a) as String
        case "--scale-cache": o.scaleCache = next(a) as String
        case "--test-limit": o.testLimit = next(a)
        case "--eval-sampled":
            o.evalSampled = next(a)
            if o.evalSampled < 1 { print("--eval-sampled takes a candidate count >= 1"); usage() }
        case "--eval-unfiltered": o.evalUnfiltered = true
        case "--help", "-h": usage(0)
        case "--list-options": listOptions()
        case "--set":
            let kv: String = next(a)
            guard let eq = kv.firstIndex(of: "=") else { print("--set takes KEY=VALUE, not \(kv)"); usage() }
            o.settings.append((String(kv[..<eq]), String(kv[kv.index(after: eq)...])))
        case "--model":
            let m: String = next(a)
            guard let kind = ModelKinds.named(m) else {
                print("unknown model \(m): the kinds are \(ModelKinds.names.joined(separator: ", "))"); exit(2)
            }
            if kind.name == "afme" {
                o.afme = o.afme ?? AFMEConfig()
            } else if let score = kind.scoreFunction {
                o.config.scoreFunction = score
                if ModelKinds.named(score.optionName)?.name != kind.name { o.kind = kind.name }
            } else {
                o.kind = kind.name
            }
        case "--dim": o.config.dim = next(a)
        case "--gamma": o.config.gamma = next(a)
        case "--negatives": o.config.negatives = next(a)
        case "--batch": o.config.batchSize = next(a)
        case "--epochs": o.config.epochs = next(a)
        case "--lr", "--learning-rate": o.config.learningRate = next(a)
        case "--examples": o.examples = next(a)
        case "--topk": o.topk = next(a)
        case "--adv-temperature": o.config.adversarialTemperature = next(a)
        case "--bernoulli": o.config.negativeSampling = .bernoulli
        case "--filter-negatives": o.config.filterNegatives = true
        case "--l2": o.config.l2 = next(a)
        case "--seed": o.config.seed = next(a)
        case "--threads": o.config.threads = next(a)
        case "--validate-every": o.config.validateEvery = next(a)
        case "--patience": o.config.patience = next(a)
        case "--time-limit": o.config.timeLimitSeconds = next(a)
        case "--json": o.json = true
        case "--afme": o.afme = o.afme ?? AFMEConfig()
        case "--text": o.text = true
        case "--modality":
            let spec: String = next(a)
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex else {
                print("error: --modality takes NAME=PATH.npy, not \(spec)"); exit(2)
            }
            o.modalities.append((String(spec[..<eq]), String(spec[spec.index(after: eq)...])))
            o.setAFME { _ in }
        case "--weights": o.weights = true
        case "--no-moifu": o.setAFME { $0.fusion = .concatProjection }
        case "--no-moien": o.setAFME { $0.enhancement = false }
        case "--no-denoise": o.setAFME { $0.denoising = false }
        case "--no-confidence": o.setAFME { $0.confidence = false }
        case "--no-smoothing": o.setAFME { $0.relationSmoothing = false }
        case "--attention-layers": o.setAFME { $0.attentionLayers = next(a) }
        case "--tokens": o.setAFME { $0.attentionTokens = next(a) }
        case "--alpha": o.setAFME { $0.denoiseStrength = next(a) }
        case "--lambda1": o.setAFME { $0.lambdaAdversarial = next(a) }
        case "--lambda2": o.setAFME { $0.lambdaPenalty = next(a) }
        case "--gp-weight": o.setAFME { $0.penaltyWeight = next(a) }
        case "--g-lr": o.setAFME { $0.generatorLearningRate = next(a) }
        case "--d-lr": o.setAFME { $0.discriminatorLearningRate = next(a) }
        case "--adv-samples": o.setAFME { $0.adversarialSamples = next(a) }
        case "--gate-phases": o.setAFME { $0.gateRelation = .phases }
        case "--guide-ones": o.setAFME { $0.guide = .onesExtended }
        case "--intermodal-printed": o.setAFME { $0.interModalIncludesSelf = false }
        case "--negative-pool": o.setAFME { $0.negativePool = next(a) }
        case "--enhance-all": o.setAFME { $0.enhanceAll = true }
        case "--completion-dropout": o.setAFME { $0.completionDropout = next(a) }
        case "--synthetic-negatives": o.setAFME { $0.syntheticNegativeWeight = next(a) }
        case "--noise-scale": o.setAFME { $0.noiseScale = next(a) }
        case "--completion-full": o.setAFME { $0.completionMix = false }
        case "--placement": o.setAFME { $0.placementNeighbors = next(a) }
        case "--placement-keep": o.setAFME { $0.placementKeep = next(a) }
        case "--missing-random": o.setAFME { $0.missingFill = .random }
        case "--save": o.save = next(a)
        case "--history": o.history = next(a)
        default: print("unknown option \(a)"); usage()
        }
    }
    if !o.settings.isEmpty {
        do {
            var r = try ModelRequest(kind: o.kindName)
            r.training = o.config
            r.afme = o.afme ?? AFMEConfig()
            for (k, v) in o.settings { try r.set(k, v) }
            o.config = r.training
            if r.kind == "afme" { o.afme = r.afme }
            o.request = r
        } catch {
            print("error: \(error)"); exit(2)
        }
    }
    return o
}

extension Options {
    var kindName: String { afme != nil ? "afme" : kind ?? config.scoreFunction.optionName }
}

extension ScoreFunctionKind {
    /// The structural model kind of this score function in the option table.
    var optionName: String { ["rotate", "transe", "rotate_l2"][rawValue] }
}

func pct(_ x: Double) -> String {
    let v = (x * 10000).rounded() / 100
    return String(v)
}

HeapTuning.reuseLargeBlocks()  // before any thread exists: see HeapTuning
setvbuf(stdout, nil, _IOLBF, 0)  // progress lines appear as they happen, also when piped
let opts = parse()
var graph: KnowledgeGraph
do {
    if let text = opts.scale {
        let spec = try ScaleGraphSpec(parsing: text), start = monotonicSeconds()
        if let dir = opts.scaleCache {
            let (g, hit) = try ScaleGraph.cached(spec, directory: dir)
            graph = g
            print(
                "scale graph: \(hit ? "read from" : "generated into") \(ScaleGraph.cachePath(spec, directory: dir)) in \(Int(monotonicSeconds() - start)) s"
            )
        } else {
            graph = try ScaleGraph.make(spec)
            print("scale graph: generated in \(Int(monotonicSeconds() - start)) s")
        }
    } else {
        graph = try opts.data.map { try OpenKELoader.load(folder: $0) } ?? SyntheticGraph.make()
    }
    var files = opts.modalities
    if opts.text, let dir = opts.data { files.insert(("text", dir + "/text.npy"), at: 0) }
    for (name, path) in files {
        // Absent rows: missing_<name>.txt beside the .npy, one entity id per line.
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let missingList = dir + "/missing_\(name).txt"
        let missing =
            FileBytes.exists(missingList) ? try OpenKELoader.readIdList(missingList, entities: graph.entityCount) : []
        try graph.addModality(name: name, npyPath: path, missingIds: missing)
    }
} catch {
    print("error: \(error)"); exit(1)
}
print(
    "dataset: \(opts.data ?? (opts.scale != nil ? "scale graph" : "built-in synthetic")) — \(graph.entityCount) entities, \(graph.relationCount) relations, "
        + "\(graph.train.count)/\(graph.valid.count)/\(graph.test.count) train/valid/test"
        + (graph.duplicateTrainTriplesRemoved > 0
            ? " (\(graph.duplicateTrainTriplesRemoved) duplicate training triples dropped)" : ""))
let c = opts.config
print(
    "model: \(opts.kindName)\(ModelKinds.named(opts.kindName)?.scoreFunction == nil ? "" : " (\(c.scoreFunction.name))") dim \(c.dim) γ \(c.gamma) negatives \(c.negatives) batch \(c.batchSize) lr \(c.learningRate) threads \(c.effectiveThreads)"
)
do {
    let hook: ProgressHook = { r in
        var line = "epoch \(r.epoch): loss \(r.meanLoss) (\(String(Int(r.seconds * 1000))) ms)"
        if r.validated, let v = r.validation { line += " valid MRR \(pct(v.mrr)) H@10 \(pct(v.hits10))" }
        print(line)
        return true
    }
    var request = try opts.request ?? ModelRequest(kind: opts.kindName)
    request.training = c
    if let a = opts.afme {
        request.afme = a
        print(
            "AFME: fusion \(a.fusion) MoIEn \(a.enhancement) denoise \(a.denoising) (α \(a.denoiseStrength)) confidence \(a.confidence) "
                + "smoothing \(a.relationSmoothing) attention \(a.attentionLayers)×\(a.attentionTokens) tokens, modalities "
                + graph.modalities.map { "\($0.name):\($0.dim) (\($0.presentCount) present)" }.joined(separator: ", "))
    }
    let (trained, result) = try ModelRegistry.train(graph: graph, request: request, progress: hook)
    let model = trained.scorer(threads: c.effectiveThreads)
    for p in result.postTraining {
        print(
            "\(p.name): \(p.detail); validation MRR \(pct(p.validationBefore.mrr)) → \(pct(p.validationAfter.mrr)): "
                + (p.kept ? "kept" : "not kept"))
    }
    if let m = trained as? AFMEModel {
        if result.postTraining.isEmpty && m.config.placementNeighbors > 0 {
            print("cold-start placement: not tried (no entity without training triples has features, or no validation)")
        }
    }
    if opts.weights, let w = trained.meanModalityWeights() {
        let names = trained.weightNames
        print("mean modality weights per relation (\(names.joined(separator: " / "))):")
        for rel in 0..<trained.relationCount {
            let row = (0..<names.count).map { String((w[rel * names.count + $0] * 1000).rounded() / 1000) }
            print("  \(graph.relationNames[rel]): \(row.joined(separator: " / "))")
        }
    }
    if let path = opts.save {
        try Checkpoint.save(
            trained, labels: try Labels(entities: graph.entityNames, relations: graph.relationNames),
            history: result.history, to: path)
        print("saved \(trained.kindName) model with its labels and history to \(path)")
    }
    if let path = opts.history {
        // One JSON object per epoch: epoch, loss, seconds, validated, and the latest validation's metrics.
        let lines = result.history.map { e -> String in
            var s = "{\"epoch\":\(e.epoch),\"loss\":\(e.meanLoss),\"seconds\":\(e.seconds),\"validated\":\(e.validated)"
            if let v = e.validation {
                s += ",\"valid_mrr\":\(v.mrr),\"valid_hits1\":\(v.hits1),\"valid_hits10\":\(v.hits10)"
            }
            return s + "}\n"
        }
        try FileBytes.writeAtomically(Array(lines.joined().utf8), to: path)
        print("history: \(result.history.count) epochs written to \(path)")
    }
    print("peak RSS after training: \(peakRSSBytes() / 1_000_000) MB")
    let filter = FilterIndex(graph: graph)
    if opts.testLimit > 0 && opts.testLimit < graph.test.count {
        print("evaluating the first \(opts.testLimit) of \(graph.test.count) test triples (--test-limit)")
        graph.test = Array(graph.test.prefix(opts.testLimit))
    }
    let report =
        opts.evalSampled > 0
        ? SampledRanker.evaluate(
            model, triples: graph.test, filter: filter, candidates: opts.evalSampled, seed: c.seed,
            filtered: !opts.evalUnfiltered, threads: c.effectiveThreads)
        : FilteredRanker.evaluate(model, triples: graph.test, filter: filter, threads: c.effectiveThreads)
    print("test metrics: \(report.ranking.label)")
    let trainSeconds = result.seconds
    let epochSeconds = result.history.map(\.seconds).reduce(0, +) / Double(max(result.history.count, 1))
    // Triples per second from what the epochs trained (a time limit may cut the last one short).
    let trainedPositives = result.history.map(\.positives).reduce(0, +)
    let positivesPerSecond = Double(trainedPositives) / max(result.history.map(\.seconds).reduce(0, +), 1e-9)
    if result.stoppedByTimeLimit {
        print(
            "stopped by the time limit (\(c.timeLimitSeconds) s): nothing was started that the time left could not hold"
        )
    }
    print(
        "trained \(result.epochsRun) epochs in \(Int(trainSeconds)) s (best epoch \(result.bestEpoch)); "
            + "\(Int(positivesPerSecond)) positive triples/s"
            + (trainedPositives < result.history.count * graph.train.count
                ? " (the time limit cut the last epoch at \(result.history.last?.positives ?? 0) of \(graph.train.count) triples)"
                : ""))
    let sampledTag = opts.evalSampled > 0 ? ", sampled \(opts.evalSampled)" : ""
    for ties in [TieHandling.realistic, .openKE] {
        let m = report.metrics(ties)
        print(
            "test [\(ties.name)\(sampledTag)] MRR \(pct(m.mrr)) MR \(Int(m.meanRank)) Hits@1 \(pct(m.hits1)) Hits@3 \(pct(m.hits3)) Hits@10 \(pct(m.hits10))"
        )
    }
    // Triples touching an entity without training triples (cold-start) are where structure knows nothing.
    var inTrain = [Bool](repeating: false, count: graph.entityCount)
    for t in graph.train { inTrain[t.h] = true; inTrain[t.t] = true }
    let cold = graph.test.map { !inTrain[$0.h] || !inTrain[$0.t] }
    let n = cold.filter { $0 }.count
    if n > 0 {
        let c = report.subset(cold).metrics(), w = report.subset(cold.map { !$0 }).metrics()
        print(
            "test [realistic\(sampledTag)] \(n) triples touching an entity without training triples: MRR \(pct(c.mrr)) Hits@10 \(pct(c.hits10)); "
                + "the other \(graph.test.count - n): MRR \(pct(w.mrr)) Hits@10 \(pct(w.hits10))")
    }
    print(
        "test evaluation: \(report.seconds) s for \(graph.test.count) triples × 2 directions × "
            + (opts.evalSampled > 0 ? "\(opts.evalSampled) sampled" : "\(graph.entityCount)") + " candidates"
    )
    if opts.examples > 0 {
        print("example predictions (filtered: other known answers are hidden):")
        let triples = Array(graph.test.prefix(opts.examples))
        let queries = triples.map { Query(entity: $0.h, relation: $0.r, direction: .tail) }
        for (i, (t, top)) in zip(triples, TopK.predict(model, queries: queries, k: opts.topk, exclude: filter))
            .enumerated()
        {
            let rank = report.tailOptimistic[i]  // triples are the first test triples, in order
            let names = top.map { "\(graph.entityNames[Int($0.entity)]) (\(($0.score * 100).rounded() / 100))" }
            print(
                "  (\(graph.entityNames[t.h]), \(graph.relationNames[t.r]), ?) → \(names.joined(separator: ", ")); "
                    + "true tail \(graph.entityNames[t.t]) ranked \(rank)")
        }
    }
    if opts.json {
        let r = report.metrics(.realistic), o = report.metrics(.openKE)
        print(
            "{\"mrr_realistic\":\(r.mrr),\"hits1_realistic\":\(r.hits1),\"hits10_realistic\":\(r.hits10),"
                + "\"mrr_openke\":\(o.mrr),\"hits1_openke\":\(o.hits1),\"hits10_openke\":\(o.hits10),"
                + "\"epochs\":\(result.epochsRun),\"best_epoch\":\(result.bestEpoch),\"seconds_per_epoch\":\(epochSeconds),"
                + "\"train_triples_per_second\":\(positivesPerSecond),\"train_seconds\":\(trainSeconds),"
                + "\"eval_seconds\":\(report.seconds),\"eval_protocol\":\"\(report.ranking.label)\",\"peak_rss_bytes\":\(peakRSSBytes())}"
        )
    }
} catch {
    print("error: \(error)"); exit(1)
}
