// AFME checkpoints. In format version 3 (SectionedCheckpoint.swift) an AFME model is the envelope
// (KIND "afme", CONF with every AFME option, SIZE, LABL) plus these sections:
//
//   ENTS   E × entityWidth f32      structural rows (padding columns included)
//   RELS   R × relationWidth f32    relation rows
//   MODS   u32 M; per modality: name (u32 length + UTF-8), dim u32, E presence bytes (0/1),
//          E × dim f32 features (fill included), dim f32 mean
//   PARM   u32 P; per parameter: name (u32 length + UTF-8), rank u32, rank × u64 shape, f32 values
//
// Versions 1 and 2 used the structural header of Checkpoint with model kind 1, the two tables, the
// AFMEConfig as `configWords` (22 words, 21 in version 1), then MODS and PARM as above, then the CRC-32.
//
// The features travel with the model: a service that loads it can score any entity without the dataset.
// Decoding rebuilds the layers from the stored configuration and then requires the stored parameter
// list to match them exactly (names, order, shapes); any mismatch is refused before a model exists.

extension Checkpoint {
    static let afmeKind: UInt32 = 1

    static func configWords(_ c: AFMEConfig) -> [UInt32] {
        [
            UInt32(c.fusion.rawValue), c.enhancement ? 1 : 0, c.denoising ? 1 : 0, c.denoiseStrength.bitPattern,
            c.confidence ? 1 : 0, c.relationSmoothing ? 1 : 0, UInt32(c.attentionLayers), UInt32(c.attentionTokens),
            UInt32(c.noiseDim), UInt32(c.gateRelation.rawValue), UInt32(c.guide.rawValue),
            c.interModalIncludesSelf ? 1 : 0,
            UInt32(c.missingFill.rawValue), c.lambdaAdversarial.bitPattern, c.lambdaPenalty.bitPattern,
            c.penaltyWeight.bitPattern,
            c.generatorLearningRate.bitPattern, c.discriminatorLearningRate.bitPattern, UInt32(c.adversarialSamples),
            UInt32(c.discriminatorHidden), c.enhanceAll ? 1 : 0, c.completionMix ? 1 : 0,
        ]
    }

    static func config(from w: [UInt32]) throws -> AFMEConfig {
        func bool(_ x: UInt32) throws -> Bool {
            guard x <= 1 else { throw DataError(.badFormat, "AFME configuration flag \(x) is not 0 or 1") }
            return x == 1
        }
        func f(_ x: UInt32) -> Float { Float(bitPattern: x) }
        guard let fusion = FusionMode(rawValue: Int(w[0])), let gate = GateRelationReading(rawValue: Int(w[9])),
            let guide = GuideReading(rawValue: Int(w[10])), let fill = MissingFill(rawValue: Int(w[12]))
        else {
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
        c.completionMix = w.count > 21 ? try bool(w[21]) : false  // version 1 files predate the mix
        return c
    }

    /// The version-2 layout of libafme 0.2.0 (tests write old files with it).
    public static func encodeVersion2(_ m: AFMEModel) -> [UInt8] {
        var w = ByteWriter()
        putHeader(&w.bytes, kind: afmeKind, score: m.score, entities: m.entityCount, relations: m.relationCount)
        w.put(floats: m.structural)
        w.put(floats: m.relations.value.data)
        for word in configWords(m.config) { w.put(word) }
        writeModalities(&w, m)
        writeParameters(&w, m)
        w.put(CRC32.checksum(w.bytes))
        return w.bytes
    }

    static func modalitiesSize(_ m: AFMEModel) -> Int { modalitiesSize(m.modalities, entities: m.entityCount) }
    static func writeModalities(_ w: inout ByteWriter, _ m: AFMEModel) { writeModalities(&w, m.modalities) }
    static func parametersSize(_ m: AFMEModel) -> Int { parametersSize(m.parameters) }
    static func writeParameters(_ w: inout ByteWriter, _ m: AFMEModel) { writeParameters(&w, m.parameters) }

    /// A version 1 or 2 AFME file.
    static func decodeAFME(_ bytes: [UInt8], path: String?) throws -> AFMEModel {
        guard bytes.count >= headerSize + 4 else {
            throw DataError(.truncated, "checkpoint is truncated (\(bytes.count) bytes)", path: path)
        }
        let version = try verifyEnvelope(bytes, path: path)
        var r = ByteReader(bytes, from: 16, to: bytes.count - 4, context: "AFME checkpoint", path: path)
        let kindRaw = try r.u32(), dim = try r.u32()
        let gamma = Float(bitPattern: try r.u32()), epsilon = Float(bitPattern: try r.u32())
        let E = try r.u64(), R = try r.u64()
        guard let kind = ScoreFunctionKind(rawValue: Int(kindRaw)) else {
            throw r.fail(.badFormat, "unknown score function \(kindRaw)")
        }
        // The option table's domains (a file the current format could not re-encode is refused).
        guard dim >= 1 && dim <= 65536, gamma.isFinite, gamma > 0, gamma <= 1e6, epsilon.isFinite, epsilon >= 0,
            epsilon <= 1e6
        else {
            throw r.fail(.badFormat, "configuration out of range (dim \(dim), γ \(gamma), ε \(epsilon))")
        }
        guard E >= 1, R >= 1, E < 1 << 32, R < 1 << 32 else {
            throw r.fail(.badFormat, "entity/relation counts out of range")
        }
        let f = ScoreFunction(kind: kind, dim: Int(dim), gamma: gamma, epsilon: epsilon)
        let structural = try r.floats(Int(E) * f.entityWidth)
        let relations = try r.floats(Int(R) * f.relationWidth)
        let wordCount = configWords(AFMEConfig()).count - (version == 1 ? 1 : 0)
        let words = try (0..<wordCount).map { _ in try r.u32() }
        let config = try Checkpoint.config(from: words)
        do { try config.validate(entityWidth: f.entityWidth) } catch {
            throw r.fail(.badFormat, "AFME configuration out of range: \(error)")
        }
        let modalities = try readModalities(&r, entities: Int(E))
        let model = try readParameters(
            &r, config: config, score: f, modalities: modalities, structural: structural, relations: relations)
        try r.expectEnd()
        return model
    }

    /// The PARM payload, read into a model built from the configuration (the caller checks the reader's end).
    static func readParameters(
        _ r: inout ByteReader, config: AFMEConfig, score f: ScoreFunction, modalities: [ModalityFeatures],
        structural: [Float], relations: [Float]
    ) throws -> AFMEModel {
        let R = relations.count / f.relationWidth
        // The layers are allocated from the configuration before their stored values are read: refuse a
        // configuration whose layers the rest of the file cannot hold, so a crafted header cannot make
        // the decoder allocate more than the file's own size.
        let implied = AFMEModel.parameterCount(
            config: config, score: f, modalityDims: modalities.map(\.dim), relations: R)
        guard implied <= r.remaining / 4 else {
            throw r.fail(
                .truncated,
                "the AFME configuration implies \(implied) parameters; the \(r.remaining) bytes left hold at most \(r.remaining / 4)"
            )
        }
        let model = try AFMEModel(
            config: config, score: f, modalities: modalities, structural: structural,
            relations: Tensor(shape: [R, f.relationWidth], data: relations), seed: 0)
        try readParameterValues(&r, into: model.parameters)
        return model
    }
}
