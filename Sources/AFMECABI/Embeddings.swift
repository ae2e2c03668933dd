// C ABI, Model group: embeddings out. See include/afme.h.
import AFMECore
import CAFMEHeader

/// The body shared by the embedding getters: `table` gives the rows (or throws for a kind without them);
/// the column count is written first, then the rows if `out` is given and large enough.
func embeddings(
    _ function: String, _ model: OpaquePointer?, _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
    _ columns: UnsafeMutablePointer<Int64>?, _ table: @escaping (TrainedModel) throws -> (values: [Float], width: Int)
) -> afme_status {
    abiCall(function) {
        let m = try Handles.get(model, ModelBox.self, "model")
        let columns = try nonNull(columns, "n_columns")
        let cap = try count(capacity, "capacity")
        let t = try table(m.trained)
        columns.pointee = Int64(t.width)
        guard let out else { return AFME_OK }
        guard cap >= t.values.count else {
            throw ABIError(
                AFME_ERR_SHAPE, "capacity \(cap) < \(t.values.count / max(t.width, 1)) rows × \(t.width) columns")
        }
        t.values.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: t.values.count) }
        return AFME_OK
    }
}

@_cdecl("afme_model_entity_embeddings")
public func cabi_model_entity_embeddings(
    _ model: OpaquePointer?, _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
    _ columns: UnsafeMutablePointer<Int64>?
) -> afme_status {
    embeddings("afme_model_entity_embeddings", model, out, capacity, columns) { $0.entityEmbeddings }
}

@_cdecl("afme_model_relation_embeddings")
public func cabi_model_relation_embeddings(
    _ model: OpaquePointer?, _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
    _ columns: UnsafeMutablePointer<Int64>?
) -> afme_status {
    embeddings("afme_model_relation_embeddings", model, out, capacity, columns) { $0.relationEmbeddings }
}

@_cdecl("afme_model_joint_embeddings")
public func cabi_model_joint_embeddings(
    _ model: OpaquePointer?, _ relation: Int64, _ out: UnsafeMutablePointer<Float>?,
    _ capacity: Int64, _ columns: UnsafeMutablePointer<Int64>?
) -> afme_status {
    embeddings("afme_model_joint_embeddings", model, out, capacity, columns) { m in
        let r = try id(relation, below: m.relationCount, "relation")
        guard let t = m.jointEmbeddings(relation: r) else {
            throw ABIError(
                AFME_ERR_INVALID_ARGUMENT,
                "a \(m.kindName) model has no relation-dependent entity rows: use afme_model_entity_embeddings")
        }
        return t
    }
}
