// C ABI, Model group: the model's kind name and labels. See include/afme.h.
import AFMECore
import CAFMEHeader

@_cdecl("afme_model_kind_name")
public func cabi_model_kind_name(
    _ model: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int,
    _ needed: UnsafeMutablePointer<Int>?
) -> afme_status {
    abiCall("afme_model_kind_name") {
        try copyString(try Handles.get(model, ModelBox.self, "model").trained.kindName, buffer, size, needed)
        return AFME_OK
    }
}

@_cdecl("afme_model_n_modalities")
public func cabi_model_n_modalities(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> afme_status {
    countGetter("afme_model_n_modalities", model, ModelBox.self, "model", out) { $0.trained.modalityNames.count }
}

@_cdecl("afme_model_modality_name")
public func cabi_model_modality_name(
    _ model: OpaquePointer?, _ index: Int64, _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int,
    _ needed: UnsafeMutablePointer<Int>?
) -> afme_status {
    abiCall("afme_model_modality_name") {
        let names = try Handles.get(model, ModelBox.self, "model").trained.modalityNames
        try copyString(names[try id(index, below: names.count, "modality index")], buffer, size, needed)
        return AFME_OK
    }
}

@_cdecl("afme_model_has_labels")
public func cabi_model_has_labels(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> afme_status {
    abiCall("afme_model_has_labels") {
        let m = try Handles.get(model, ModelBox.self, "model")
        try nonNull(out, "out").pointee = m.labels == nil ? 0 : 1
        return AFME_OK
    }
}

func labels(_ m: ModelBox) throws -> Labels {
    guard let l = m.labels else {
        throw ABIError(
            AFME_ERR_INVALID_ARGUMENT, "the model carries no labels (it was loaded from a 0.2.0 checkpoint); use ids")
    }
    return l
}

func labelLookup(
    _ function: String, _ model: OpaquePointer?, _ label: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int64>?,
    _ what: String, _ find: @escaping (Labels, String) -> Int?
) -> afme_status {
    abiCall(function) {
        let m = try Handles.get(model, ModelBox.self, "model")
        let text = try string(label, "label"), out = try nonNull(out, "out")
        guard let i = find(try labels(m), text) else {
            throw ABIError(AFME_ERR_NOT_FOUND, "no \(what) is labelled \(quoted(text))")
        }
        out.pointee = Int64(i)
        return AFME_OK
    }
}

@_cdecl("afme_model_entity_id")
public func cabi_model_entity_id(
    _ model: OpaquePointer?, _ label: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int64>?
) -> afme_status {
    labelLookup("afme_model_entity_id", model, label, out, "entity") { $0.entityID($1) }
}

@_cdecl("afme_model_relation_id")
public func cabi_model_relation_id(
    _ model: OpaquePointer?, _ label: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int64>?
) -> afme_status {
    labelLookup("afme_model_relation_id", model, label, out, "relation") { $0.relationID($1) }
}

func labelGetter(
    _ function: String, _ model: OpaquePointer?, _ i: Int64, _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int,
    _ needed: UnsafeMutablePointer<Int>?, _ list: @escaping (Labels) -> [String]
) -> afme_status {
    abiCall(function) {
        let names = list(try labels(try Handles.get(model, ModelBox.self, "model")))
        try copyString(names[try id(i, below: names.count, "id")], buffer, size, needed)
        return AFME_OK
    }
}

@_cdecl("afme_model_entity_label")
public func cabi_model_entity_label(
    _ model: OpaquePointer?, _ e: Int64, _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int,
    _ needed: UnsafeMutablePointer<Int>?
) -> afme_status {
    labelGetter("afme_model_entity_label", model, e, buffer, size, needed) { $0.entities }
}

@_cdecl("afme_model_relation_label")
public func cabi_model_relation_label(
    _ model: OpaquePointer?, _ r: Int64, _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int,
    _ needed: UnsafeMutablePointer<Int>?
) -> afme_status {
    labelGetter("afme_model_relation_label", model, r, buffer, size, needed) { $0.relations }
}
