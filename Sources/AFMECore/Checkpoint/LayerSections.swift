// Sections every multi-modal kind writes the same way (the layouts are in AFMECheckpoint.swift's header):
// MODS, the features the model holds (so a loaded model scores without the dataset), and PARM, the
// named parameters of a ParameterStore in creation order.

extension Checkpoint {
    static func modalitiesSize(_ modalities: [ModalityFeatures], entities: Int) -> Int {
        4 + modalities.reduce(0) { $0 + 4 + $1.name.utf8.count + 4 + entities + 4 * ($1.values.count + $1.mean.count) }
    }

    static func writeModalities(_ w: inout ByteWriter, _ modalities: [ModalityFeatures]) {
        w.put(UInt32(modalities.count))
        for mod in modalities {
            w.put(string: mod.name)
            w.put(UInt32(mod.dim))
            w.bytes += mod.present.map { $0 ? 1 : 0 }
            w.put(floats: mod.values)
            w.put(floats: mod.mean)
        }
    }

    static func parametersSize(_ store: ParameterStore) -> Int {
        4
            + zip(store.names, store.vars).reduce(0) {
                $0 + 4 + $1.0.utf8.count + 4 + 8 * $1.1.shape.count + 4 * $1.1.value.count
            }
    }

    static func writeParameters(_ w: inout ByteWriter, _ store: ParameterStore) {
        w.put(UInt32(store.vars.count))
        for (name, v) in zip(store.names, store.vars) {
            w.put(string: name)
            w.put(UInt32(v.shape.count))
            for d in v.shape { w.put(UInt64(d)) }
            w.put(floats: v.value.data)
        }
    }

    /// The MODS payload: every modality's features as the model holds them.
    static func readModalities(_ r: inout ByteReader, entities E: Int) throws -> [ModalityFeatures] {
        let M = Int(try r.u32())
        guard M >= 1 && M <= 64 else { throw r.fail(.badFormat, "\(M) modalities") }
        var features: [ModalityFeatures] = []
        for _ in 0..<M {
            let name = try r.string()
            let d = Int(try r.u32())
            guard d >= 1 && d <= 1 << 20 else { throw r.fail(.badFormat, "modality dim \(d)") }
            let flags = try r.raw(E)
            guard flags.allSatisfy({ $0 <= 1 }) else {
                throw r.fail(.badFormat, "modality \(name): a presence flag is not 0 or 1")
            }
            guard E * d <= r.remaining / 4 else { throw r.fail(.truncated, "ends inside modality \(name)") }
            let values = try r.floats(E * d), mean = try r.floats(d)
            features.append(
                ModalityFeatures(name: name, dim: d, values: values, present: flags.map { $0 == 1 }, mean: mean))
        }
        return features
    }

    /// The PARM payload into the parameters of a freshly built model: names, order and shapes must match
    /// the store exactly; every value is read before any is assigned (a failure leaves the store as built).
    static func readParameterValues(_ r: inout ByteReader, into store: ParameterStore) throws {
        let P = Int(try r.u32())
        guard P == store.vars.count else {
            throw r.fail(.badFormat, "\(P) parameters stored, the configuration has \(store.vars.count)")
        }
        var values: [Tensor] = []
        for (name, v) in zip(store.names, store.vars) {
            let stored = try r.string()
            let rank = Int(try r.u32())
            guard stored == name, rank == v.shape.count else {
                throw r.fail(.badFormat, "parameter \(stored) does not match \(name)")
            }
            let shape = try (0..<rank).map { _ in try r.u64() }  // compared as stored: a u64 need not fit an Int
            guard shape == v.shape.map({ UInt64($0) }) else {
                throw r.fail(.badFormat, "parameter \(name) has shape \(shape), expected \(v.shape)")
            }
            values.append(Tensor(shape: v.shape, data: try r.floats(v.value.count)))
        }
        for (v, t) in zip(store.vars, values) { v.assign(t) }
    }
}
