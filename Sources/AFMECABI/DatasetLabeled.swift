// C ABI, Dataset group: labeled triples (TSV files, label and id arrays), splits, labeled features and
// the load report. See include/afme.h.
import AFMECore
import CAFMEHeader

/// `n` NUL-terminated UTF-8 strings from a caller array, each checked.
func strings(_ p: UnsafePointer<UnsafePointer<CChar>?>?, _ n: Int, _ name: String) throws -> [String] {
    if n == 0 { return [] }
    let p = try nonNull(p, name)
    return try (0..<n).map { try string(p[$0], "\(name)[\($0)]") }
}

func loadOptions(_ text: UnsafePointer<CChar>?) throws -> LabeledLoadOptions {
    text == nil ? LabeledLoadOptions() : try LabeledLoadOptions(parsing: try string(text, "options"))
}

@_cdecl("afme_dataset_load_tsv")
public func cabi_dataset_load_tsv(
    _ train: UnsafePointer<CChar>?, _ valid: UnsafePointer<CChar>?, _ test: UnsafePointer<CChar>?,
    _ options: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_dataset_load_tsv") {
        let out = try nonNull(out, "out")
        let graph = try LabeledTriples.load(
            train: try string(train, "train_path"),
            valid: valid == nil ? nil : try string(valid, "valid_path"),
            test: test == nil ? nil : try string(test, "test_path"), options: try loadOptions(options))
        out.pointee = Handles.register(DatasetBox(graph))
        return AFME_OK
    }
}

@_cdecl("afme_dataset_create_from_labels")
public func cabi_dataset_create_from_labels(
    _ train: UnsafePointer<UnsafePointer<CChar>?>?, _ nTrain: Int64,
    _ valid: UnsafePointer<UnsafePointer<CChar>?>?, _ nValid: Int64,
    _ test: UnsafePointer<UnsafePointer<CChar>?>?, _ nTest: Int64,
    _ options: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_dataset_create_from_labels") {
        let out = try nonNull(out, "out")
        let opts = try loadOptions(options)
        var rows: [[LabeledTriples.Row]] = []
        for (p, n, name) in [(train, nTrain, "train"), (valid, nValid, "valid"), (test, nTest, "test")] {
            let c = try count(n, "n_\(name)", max: maxElements / 3)
            rows.append(try LabeledTriples.rows(try strings(p, 3 * c, name), what: name))
        }
        let graph = try LabeledTriples.build(
            rows[0], rows[1], rows[2], options: opts, sources: ["train", "valid", "test"])
        out.pointee = Handles.register(DatasetBox(graph))
        return AFME_OK
    }
}

@_cdecl("afme_dataset_create_from_ids")
public func cabi_dataset_create_from_ids(
    _ train: UnsafePointer<Int64>?, _ nTrain: Int64, _ valid: UnsafePointer<Int64>?, _ nValid: Int64,
    _ test: UnsafePointer<Int64>?, _ nTest: Int64, _ nEntities: Int64, _ nRelations: Int64,
    _ entityLabels: UnsafePointer<UnsafePointer<CChar>?>?,
    _ relationLabels: UnsafePointer<UnsafePointer<CChar>?>?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_dataset_create_from_ids") {
        let out = try nonNull(out, "out")
        let E = try count(nEntities, "n_entities", max: Int64(Int32.max)),
            R = try count(nRelations, "n_relations", max: Int64(Int32.max))
        guard E >= 1, R >= 1 else {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "n_entities and n_relations must be >= 1")
        }
        var splits: [[Triple]] = []
        for (p, n, name) in [(train, nTrain, "train"), (valid, nValid, "valid"), (test, nTest, "test")] {
            let c = try count(n, "n_\(name)", max: maxElements / 3)
            if c == 0 { splits.append([]); continue }
            let t = try nonNull(p, name)
            splits.append(
                try (0..<c).map { i in
                    Triple(
                        try id(t[3 * i], below: E, "\(name)[\(i)].head"),
                        try id(t[3 * i + 1], below: R, "\(name)[\(i)].relation"),
                        try id(t[3 * i + 2], below: E, "\(name)[\(i)].tail"))
                })
        }
        let entities = entityLabels == nil ? nil : try strings(entityLabels, E, "entity_labels")
        let relations = relationLabels == nil ? nil : try strings(relationLabels, R, "relation_labels")
        // Labels must name one id each, as a model's do.
        _ = try Labels(entities: entities ?? (0..<E).map { "e\($0)" }, relations: relations ?? (0..<R).map { "r\($0)" })
        let graph = KnowledgeGraph(
            entityCount: E, relationCount: R, entityNames: entities, relationNames: relations,
            train: splits[0], valid: splits[1], test: splits[2])
        try graph.validate()
        out.pointee = Handles.register(DatasetBox(graph))
        return AFME_OK
    }
}

@_cdecl("afme_dataset_split")
public func cabi_dataset_split(
    _ dataset: OpaquePointer?, _ validFraction: Double, _ testFraction: Double, _ seed: UInt64,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_dataset_split") {
        let box = try Handles.get(dataset, DatasetBox.self, "dataset")
        let out = try nonNull(out, "out")
        if !validFraction.isFinite || !testFraction.isFinite {
            throw ABIError(AFME_ERR_NON_FINITE, "split fractions must be finite")
        }
        out.pointee = Handles.register(
            DatasetBox(try box.graph.split(validFraction: validFraction, testFraction: testFraction, seed: seed)))
        return AFME_OK
    }
}

@_cdecl("afme_dataset_add_modality_labeled")
public func cabi_dataset_add_modality_labeled(
    _ dataset: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ values: UnsafePointer<Float>?,
    _ nRows: Int64, _ dim: Int64, _ labels: UnsafePointer<UnsafePointer<CChar>?>?,
    _ refuseUnknown: Int32, _ unknown: UnsafeMutablePointer<Int64>?
) -> afme_status {
    abiCall("afme_dataset_add_modality_labeled") {
        let box = try Handles.get(dataset, DatasetBox.self, "dataset")
        let name = try string(name, "name")
        let rows = try count(nRows, "n_rows", max: Int64(Int32.max)), d = try count(dim, "dim", max: 1 << 20)
        if d == 0 { throw ABIError(AFME_ERR_INVALID_ARGUMENT, "dim must be > 0") }
        let (total, overflow) = rows.multipliedReportingOverflow(by: d)
        if overflow || total > 1 << 30 {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "n_rows × dim exceeds 2^30 values (4 GiB)")
        }
        guard refuseUnknown == 0 || refuseUnknown == 1 else {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "refuse_unknown must be 0 or 1")
        }
        let vals = rows == 0 ? [] : Array(UnsafeBufferPointer(start: try nonNull(values, "values"), count: total))
        let names = try strings(labels, rows, "labels")
        var graph = box.graph  // changed only when the whole modality is valid
        let n = try graph.addModality(
            name: name, dim: d, values: vals, labels: names, refuseUnknown: refuseUnknown == 1)
        box.graph = graph
        unknown?.pointee = Int64(n)
        return AFME_OK
    }
}

@_cdecl("afme_dataset_load_report")
public func cabi_dataset_load_report(
    _ dataset: OpaquePointer?, _ out: UnsafeMutablePointer<afme_load_report>?
) -> afme_status {
    abiCall("afme_dataset_load_report") {
        let box = try Handles.get(dataset, DatasetBox.self, "dataset")
        let out = UnsafeMutableRawPointer(try nonNull(out, "out"))
        // Only the size field is read and only the bytes the caller's struct covers are written: an older,
        // shorter struct stays in bounds, and the caller's size field is left as it is.
        let head = MemoryLayout<Int>.size
        let size = out.load(as: Int.self)
        guard size >= head else {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "out->size = \(size) is smaller than the size field")
        }
        let g = box.graph
        var full = afme_load_report(
            size: MemoryLayout<afme_load_report>.size, duplicate_train: Int64(g.duplicateTrainTriplesRemoved),
            unseen_valid: Int64(g.unseenDropped.valid), unseen_test: Int64(g.unseenDropped.test))
        let n = min(size, MemoryLayout<afme_load_report>.size)
        withUnsafeBytes(of: &full) { src in (out + head).copyMemory(from: src.baseAddress! + head, byteCount: n - head)
        }
        return AFME_OK
    }
}
