// AFME checkpoints: the structural header and tables of Checkpoint with model kind 1, then the AFME
// section, then the CRC-32 over everything before it.
//
//   header (48 bytes, model kind 1), entity table, relation table      as in Checkpoint
//   AFMEConfig                    configFields × 4 bytes (u32 / f32 bit patterns, in `configWords` order;
//                                 22 words, 21 in format version 1)
//   M                             u32; per modality: name (u32 length + UTF-8), dim u32,
//                                 E presence bytes (0/1), E × dim f32 features (fill included), dim f32 mean
//   P                             u32; per parameter: name (u32 length + UTF-8), rank u32, rank × u64 shape, f32 values
//   CRC-32                        u32
//
// The features travel with the model: a service that loads it can score any entity without the dataset.
// Decoding rebuilds the layers from the stored configuration and then requires the stored parameter
// list to match them exactly (names, order, shapes); any mismatch is refused before a model exists.

extension Checkpoint {
    static let afmeKind: UInt32 = 1

    static func configWords(_ c: AFMEConfig) -> [UInt32] {
        [UInt32(c.fusion.rawValue), c.enhancement ? 1 : 0, c.denoising ? 1 : 0, c.denoiseStrength.bitPattern,
         c.confidence ? 1 : 0, c.relationSmoothing ? 1 : 0, UInt32(c.attentionLayers), UInt32(c.attentionTokens),
         UInt32(c.noiseDim), UInt32(c.gateRelation.rawValue), UInt32(c.guide.rawValue), c.interModalIncludesSelf ? 1 : 0,
         UInt32(c.missingFill.rawValue), c.lambdaAdversarial.bitPattern, c.lambdaPenalty.bitPattern, c.penaltyWeight.bitPattern,
         c.generatorLearningRate.bitPattern, c.discriminatorLearningRate.bitPattern, UInt32(c.adversarialSamples),
         UInt32(c.discriminatorHidden), c.enhanceAll ? 1 : 0, c.completionMix ? 1 : 0]
    }

    static func config(from w: [UInt32]) throws -> AFMEConfig {
        func bool(_ x: UInt32) throws -> Bool {
            guard x <= 1 else { throw DataError(.badFormat, "AFME configuration flag \(x) is not 0 or 1") }
            return x == 1
        }
        func f(_ x: UInt32) -> Float { Float(bitPattern: x) }
        guard let fusion = FusionMode(rawValue: Int(w[0])), let gate = GateRelationReading(rawValue: Int(w[9])),
              let guide = GuideReading(rawValue: Int(w[10])), let fill = MissingFill(rawValue: Int(w[12])) else {
            throw DataError(.badFormat, "unknown AFME configuration value")
        }
        var c = AFMEConfig()
        c.fusion = fusion; c.enhancement = try bool(w[1]); c.denoising = try bool(w[2]); c.denoiseStrength = f(w[3])
        c.confidence = try bool(w[4]); c.relationSmoothing = try bool(w[5])
        c.attentionLayers = Int(w[6]); c.attentionTokens = Int(w[7]); c.noiseDim = Int(w[8])
        c.gateRelation = gate; c.guide = guide; c.interModalIncludesSelf = try bool(w[11]); c.missingFill = fill
        c.lambdaAdversarial = f(w[13]); c.lambdaPenalty = f(w[14]); c.penaltyWeight = f(w[15])
        c.generatorLearningRate = f(w[16]); c.discriminatorLearningRate = f(w[17])
        c.adversarialSamples = Int(w[18]); c.discriminatorHidden = Int(w[19]); c.enhanceAll = try bool(w[20])
        c.completionMix = w.count > 21 ? try bool(w[21]) : false   // version 1 files predate the mix
        return c
    }

    public static func encode(_ m: AFMEModel) -> [UInt8] {
        var out: [UInt8] = []
        putHeader(&out, kind: afmeKind, score: m.score, entities: m.entityCount, relations: m.relationCount)
        for v in m.structural { put(&out, v.bitPattern) }
        for v in m.relations.value.data { put(&out, v.bitPattern) }
        for w in configWords(m.config) { put(&out, w) }
        put(&out, UInt32(m.modalities.count))
        for mod in m.modalities {
            putString(&out, mod.name)
            put(&out, UInt32(mod.dim))
            out += mod.present.map { $0 ? 1 : 0 }
            for v in mod.values { put(&out, v.bitPattern) }
            for v in mod.mean { put(&out, v.bitPattern) }
        }
        put(&out, UInt32(m.parameters.vars.count))
        for (name, v) in zip(m.parameters.names, m.parameters.vars) {
            putString(&out, name)
            put(&out, UInt32(v.shape.count))
            for d in v.shape { put(&out, UInt64(d)) }
            for x in v.value.data { put(&out, x.bitPattern) }
        }
        put(&out, CRC32.checksum(out))
        return out
    }

    static func putString(_ out: inout [UInt8], _ s: String) {
        let b = Array(s.utf8)
        put(&out, UInt32(b.count)); out += b
    }

    /// A structural model or an AFME model, whichever the bytes hold.
    public enum AnyModel {
        case structural(KGEModel)
        case afme(AFMEModel)
    }

    public static func decodeAny(_ bytes: [UInt8], path: String? = nil) throws -> AnyModel {
        if bytes.count >= 16, Array(bytes[0..<8]) == magic, (get(bytes, 12) as UInt32) == afmeKind {
            return .afme(try decodeAFME(bytes, path: path))
        }
        return .structural(try decode(bytes, path: path))
    }

    public static func loadAny(from path: String) throws -> AnyModel { try decodeAny(FileBytes.read(path), path: path) }

    public static func save(_ model: AFMEModel, to path: String) throws { try FileBytes.writeAtomically(encode(model), to: path) }

    static func decodeAFME(_ bytes: [UInt8], path: String?) throws -> AFMEModel {
        func fail(_ k: DataError.Kind, _ why: String) -> DataError { DataError(k, why, path: path) }
        guard bytes.count >= headerSize + 4 else { throw fail(.truncated, "checkpoint is truncated (\(bytes.count) bytes)") }
        let version = try verifyEnvelope(bytes, path: path)
        let end = bytes.count - 4
        var at = 16
        func need(_ n: Int) throws { guard n >= 0, at + n <= end else { throw fail(.truncated, "AFME checkpoint ends inside a field at byte \(at)") } }
        func u32() throws -> UInt32 { try need(4); defer { at += 4 }; return get(bytes, at) }
        func u64() throws -> UInt64 { try need(8); defer { at += 8 }; return get(bytes, at) }
        func floats(_ n: Int) throws -> [Float] {
            guard n >= 0, n <= (end - at) / 4 else { throw fail(.truncated, "AFME checkpoint ends inside a table at byte \(at)") }
            var v = [Float](repeating: 0, count: n)
            for i in 0..<n { v[i] = Float(bitPattern: get(bytes, at + 4 * i)) }
            at += 4 * n
            if v.contains(where: { !$0.isFinite }) { throw fail(.nonFinite, "checkpoint holds non-finite values") }
            return v
        }
        func string() throws -> String {
            let n = Int(try u32())
            guard n <= 4096 else { throw fail(.badFormat, "name of \(n) bytes") }
            try need(n); defer { at += n }
            guard let s = String(validating: bytes[at..<(at + n)], as: UTF8.self) else { throw fail(.badFormat, "name is not UTF-8") }
            return s
        }
        let kindRaw = try u32(), dim = try u32()
        let gamma = Float(bitPattern: try u32()), epsilon = Float(bitPattern: try u32())
        let E = try u64(), R = try u64()
        guard let kind = ScoreFunctionKind(rawValue: Int(kindRaw)) else { throw fail(.badFormat, "unknown score function \(kindRaw)") }
        guard dim >= 1 && dim <= 65536, gamma.isFinite, gamma > 0, epsilon.isFinite, epsilon >= 0 else {
            throw fail(.badFormat, "configuration out of range (dim \(dim), γ \(gamma), ε \(epsilon))")
        }
        guard E >= 1, R >= 1, E < 1 << 32, R < 1 << 32 else { throw fail(.badFormat, "entity/relation counts out of range") }
        let f = ScoreFunction(kind: kind, dim: Int(dim), gamma: gamma, epsilon: epsilon)
        let structural = try floats(Int(E) * f.entityWidth)
        let relations = try floats(Int(R) * f.relationWidth)
        let wordCount = configWords(AFMEConfig()).count - (version == 1 ? 1 : 0)
        let words = try (0..<wordCount).map { _ in try u32() }
        let config = try Checkpoint.config(from: words)
        do { try config.validate(entityWidth: f.entityWidth) } catch { throw fail(.badFormat, "AFME configuration out of range: \(error)") }
        let M = Int(try u32())
        guard M >= 1 && M <= 64 else { throw fail(.badFormat, "\(M) modalities") }
        var mods: [ModalityFeatures] = []
        for _ in 0..<M {
            let name = try string()
            let d = Int(try u32())
            guard d >= 1 && d <= 1 << 20 else { throw fail(.badFormat, "modality dim \(d)") }
            try need(Int(E))
            guard bytes[at..<(at + Int(E))].allSatisfy({ $0 <= 1 }) else { throw fail(.badFormat, "modality \(name): a presence flag is not 0 or 1") }
            let present = bytes[at..<(at + Int(E))].map { $0 == 1 }
            at += Int(E)
            guard Int(E) * d <= (end - at) / 4 else { throw fail(.truncated, "AFME checkpoint ends inside modality \(name)") }
            let values = try floats(Int(E) * d), mean = try floats(d)
            mods.append(ModalityFeatures(name: name, dim: d, values: values, present: present, mean: mean))
        }
        // The layers are allocated from the configuration before their stored values are read: refuse a
        // configuration whose layers the rest of the file cannot hold, so a crafted header cannot make
        // the decoder allocate more than the file's own size.
        let implied = AFMEModel.parameterCount(config: config, score: f, modalityDims: mods.map(\.dim), relations: Int(R))
        guard implied <= (end - at) / 4 else {
            throw fail(.truncated, "the AFME configuration implies \(implied) parameters; the \(end - at) bytes left hold at most \((end - at) / 4)")
        }
        let model = try AFMEModel(config: config, score: f, modalities: mods, structural: structural,
                                  relations: Tensor(shape: [Int(R), f.relationWidth], data: relations), seed: 0)
        let P = Int(try u32())
        guard P == model.parameters.vars.count else {
            throw fail(.badFormat, "\(P) parameters stored, the configuration has \(model.parameters.vars.count)")
        }
        var values: [Tensor] = []
        for (name, v) in zip(model.parameters.names, model.parameters.vars) {
            let stored = try string()
            let rank = Int(try u32())
            guard stored == name, rank == v.shape.count else { throw fail(.badFormat, "parameter \(stored) does not match \(name)") }
            let shape = try (0..<rank).map { _ in try u64() }   // compared as stored: a u64 need not fit an Int
            guard shape == v.shape.map({ UInt64($0) }) else { throw fail(.badFormat, "parameter \(name) has shape \(shape), expected \(v.shape)") }
            values.append(Tensor(shape: v.shape, data: try floats(v.value.count)))
        }
        guard at == end else { throw fail(.badFormat, "\(end - at) unexpected bytes after the parameters") }
        for (v, t) in zip(model.parameters.vars, values) { v.assign(t) }
        return model
    }
}
