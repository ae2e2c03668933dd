// C ABI, Dataset group. See include/afme.h.
import AFMECore
import CAFMEHeader

@_cdecl("afme_synthetic_default_params")
public func cabi_synthetic_default_params() -> afme_synthetic_params {
    let s = SyntheticGraphSpec()
    return afme_synthetic_params(
        n_entities: Int64(s.entities), n_relations: Int64(s.relations),
        facts_per_entity: Int64(s.factsPerEntity), text_dim: Int64(s.modalityDims[0]),
        image_dim: Int64(s.modalityDims[1]), text_missing: s.missingFractions[0],
        image_missing: s.missingFractions[1], feature_noise: s.featureNoise, seed: s.seed)
}

@_cdecl("afme_dataset_create_synthetic")
public func cabi_dataset_create_synthetic(
    _ params: UnsafePointer<afme_synthetic_params>?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_dataset_create_synthetic") {
        let out = try nonNull(out, "out")
        let p = params?.pointee ?? cabi_synthetic_default_params()
        var spec = SyntheticGraphSpec()
        spec.entities = try count(p.n_entities, "n_entities", max: 100_000)
        spec.relations = try count(p.n_relations, "n_relations", max: 1_000_000)
        spec.factsPerEntity = try count(p.facts_per_entity, "facts_per_entity", max: 1000)
        let dims = [try count(p.text_dim, "text_dim", max: 65536), try count(p.image_dim, "image_dim", max: 65536)]
        let missing = [p.text_missing, p.image_missing]
        for (name, v) in [
            ("text_missing", p.text_missing), ("image_missing", p.image_missing), ("feature_noise", p.feature_noise),
        ] where !v.isFinite {
            throw ABIError(AFME_ERR_NON_FINITE, "\(name) is not finite")
        }
        // Checked even for a modality of dim 0, so a bad value is never silently ignored.
        for (name, v) in [("text_missing", p.text_missing), ("image_missing", p.image_missing)] where !(v >= 0 && v < 1)
        {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "\(name) = \(v) must be in [0, 1)")
        }
        spec.modalityDims = dims.filter { $0 > 0 }
        spec.missingFractions = zip(dims, missing).filter { $0.0 > 0 }.map { $0.1 }
        spec.featureNoise = p.feature_noise
        spec.seed = p.seed
        // Generation costs entities² × facts_per_entity (a nearest-neighbour search per fact): bound the work.
        if Double(spec.entities) * Double(spec.entities) * Double(spec.factsPerEntity) > 2e10 {
            throw ABIError(
                AFME_ERR_INVALID_ARGUMENT, "n_entities² × facts_per_entity exceeds 2e10 (generation would take minutes)"
            )
        }
        // The feature matrices are entities × dim floats each: bound them too (1 GiB in all).
        if Double(spec.entities) * Double(dims.reduce(0, +)) > Double(1 << 28) {
            throw ABIError(
                AFME_ERR_INVALID_ARGUMENT,
                "n_entities × (text_dim + image_dim) exceeds 268435456 feature values (1 GiB)")
        }
        let graph = try SyntheticGraph.make(spec)
        out.pointee = Handles.register(DatasetBox(graph))
        return AFME_OK
    }
}

@_cdecl("afme_dataset_load_openke")
public func cabi_dataset_load_openke(
    _ folder: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_dataset_load_openke") {
        let out = try nonNull(out, "out")
        let graph = try OpenKELoader.load(folder: try string(folder, "folder"))
        out.pointee = Handles.register(DatasetBox(graph))
        return AFME_OK
    }
}

@_cdecl("afme_dataset_create_scale")
public func cabi_dataset_create_scale(
    _ spec: UnsafePointer<CChar>?, _ cacheDirectory: UnsafePointer<CChar>?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_dataset_create_scale") {
        let out = try nonNull(out, "out")
        let parsed = try ScaleGraphSpec(parsing: spec == nil ? "" : try string(spec, "spec"))
        let graph =
            try cacheDirectory.map { try ScaleGraph.cached(parsed, directory: try string($0, "cache_dir")).0 }
            ?? ScaleGraph.make(parsed)
        out.pointee = Handles.register(DatasetBox(graph))
        return AFME_OK
    }
}

@_cdecl("afme_dataset_add_modality")
public func cabi_dataset_add_modality(
    _ dataset: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ values: UnsafePointer<Float>?,
    _ nRows: Int64, _ dim: Int64, _ present: UnsafePointer<UInt8>?
) -> afme_status {
    abiCall("afme_dataset_add_modality") {
        let box = try Handles.get(dataset, DatasetBox.self, "dataset")
        let name = try string(name, "name")
        let rows = try count(nRows, "n_rows"), d = try count(dim, "dim", max: 1 << 20)
        if rows != box.graph.entityCount {
            throw ABIError(AFME_ERR_SHAPE, "n_rows = \(rows) but the dataset has \(box.graph.entityCount) entities")
        }
        if d == 0 { throw ABIError(AFME_ERR_INVALID_ARGUMENT, "dim must be > 0") }
        let (total, overflow) = rows.multipliedReportingOverflow(by: d)
        if overflow || total > 1 << 30 {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "n_rows × dim exceeds 2^30 values (4 GiB)")
        }
        let values = try nonNull(values, "values")
        let vals = Array(UnsafeBufferPointer(start: values, count: total))
        let mask = present.map { p in (0..<rows).map { p[$0] != 0 } }
        try box.graph.addModality(name: name, dim: d, values: vals, present: mask)
        return AFME_OK
    }
}

@_cdecl("afme_dataset_add_modality_npy")
public func cabi_dataset_add_modality_npy(
    _ dataset: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ path: UnsafePointer<CChar>?,
    _ missing: UnsafePointer<Int64>?, _ nMissing: Int64
) -> afme_status {
    abiCall("afme_dataset_add_modality_npy") {
        let box = try Handles.get(dataset, DatasetBox.self, "dataset")
        let name = try string(name, "name"), path = try string(path, "npy_path")
        let n = try count(nMissing, "n_missing")
        var ids: [Int] = []
        if n > 0 {
            let m = try nonNull(missing, "missing_ids")
            ids = try (0..<n).map { try id(m[$0], below: box.graph.entityCount, "missing_ids[\($0)]") }
        }
        try box.graph.addModality(name: name, npyPath: path, missingIds: ids)
        return AFME_OK
    }
}

@_cdecl("afme_dataset_n_entities")
public func cabi_dataset_n_entities(_ dataset: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> afme_status {
    countGetter("afme_dataset_n_entities", dataset, DatasetBox.self, "dataset", out) { box in box.graph.entityCount }
}

@_cdecl("afme_dataset_n_relations")
public func cabi_dataset_n_relations(_ dataset: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> afme_status {
    countGetter("afme_dataset_n_relations", dataset, DatasetBox.self, "dataset", out) { box in box.graph.relationCount }
}

@_cdecl("afme_dataset_n_modalities")
public func cabi_dataset_n_modalities(_ dataset: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> afme_status {
    countGetter("afme_dataset_n_modalities", dataset, DatasetBox.self, "dataset", out) { box in
        box.graph.modalities.count
    }
}

func triples(_ g: KnowledgeGraph, _ s: Int) -> [Triple] { [g.train, g.valid, g.test][s] }

@_cdecl("afme_dataset_n_triples")
public func cabi_dataset_n_triples(
    _ dataset: OpaquePointer?, _ which: afme_split, _ out: UnsafeMutablePointer<Int64>?
) -> afme_status {
    countGetter("afme_dataset_n_triples", dataset, DatasetBox.self, "dataset", out) { box in
        triples(box.graph, try split(which)).count
    }
}

@_cdecl("afme_dataset_get_triples")
public func cabi_dataset_get_triples(
    _ dataset: OpaquePointer?, _ which: afme_split, _ out: UnsafeMutablePointer<Int64>?,
    _ capacity: Int64, _ written: UnsafeMutablePointer<Int64>?
) -> afme_status {
    abiCall("afme_dataset_get_triples") {
        let box = try Handles.get(dataset, DatasetBox.self, "dataset")
        let list = triples(box.graph, try split(which))
        let cap = try count(capacity, "capacity")
        let written = try nonNull(written, "n_written")
        let n = min(cap, list.count)
        if n > 0 {
            let out = try nonNull(out, "out")
            for i in 0..<n {
                out[3 * i] = Int64(list[i].head); out[3 * i + 1] = Int64(list[i].relation);
                out[3 * i + 2] = Int64(list[i].tail)
            }
        }
        written.pointee = Int64(n)
        return AFME_OK
    }
}

/// The body of both name getters: a live dataset, an id below `bound`, the name copied out.
func nameGetter(
    _ function: String, _ dataset: OpaquePointer?, _ i: Int64, _ buffer: UnsafeMutablePointer<CChar>?,
    _ size: Int, _ needed: UnsafeMutablePointer<Int>?, _ names: (KnowledgeGraph) -> [String]
) -> afme_status {
    abiCall(function) {
        let box = try Handles.get(dataset, DatasetBox.self, "dataset")
        let list = names(box.graph)
        try copyString(list[try id(i, below: list.count, "id")], buffer, size, needed)
        return AFME_OK
    }
}

@_cdecl("afme_dataset_entity_name")
public func cabi_dataset_entity_name(
    _ dataset: OpaquePointer?, _ e: Int64, _ buffer: UnsafeMutablePointer<CChar>?,
    _ size: Int, _ needed: UnsafeMutablePointer<Int>?
) -> afme_status {
    nameGetter("afme_dataset_entity_name", dataset, e, buffer, size, needed) { $0.entityNames }
}

@_cdecl("afme_dataset_relation_name")
public func cabi_dataset_relation_name(
    _ dataset: OpaquePointer?, _ r: Int64, _ buffer: UnsafeMutablePointer<CChar>?,
    _ size: Int, _ needed: UnsafeMutablePointer<Int>?
) -> afme_status {
    nameGetter("afme_dataset_relation_name", dataset, r, buffer, size, needed) { $0.relationNames }
}

@_cdecl("afme_dataset_free")
public func cabi_dataset_free(_ dataset: OpaquePointer?) -> afme_status {
    abiCall("afme_dataset_free") {
        try Handles.free(dataset, DatasetBox.self, "dataset")
        return AFME_OK
    }
}
