// C ABI, Params group: training options by name (the option table), the size-prefixed common struct,
// the option listing, and training from a parameters handle. See include/afme.h.
import AFMECore
import CAFMEHeader
#if canImport(Glibc)
import Glibc
#endif

final class ParamsBox {
    var request: ModelRequest
    init(_ r: ModelRequest) { request = r }
}

@_cdecl("afme_params_create")
public func cabi_params_create(
    _ model: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> afme_status {
    abiCall("afme_params_create") {
        let out = try nonNull(out, "out")
        let request = try ModelRequest(kind: model == nil ? "rotate" : try string(model, "model"))
        out.pointee = Handles.register(ParamsBox(request))
        return AFME_OK
    }
}

@_cdecl("afme_params_free")
public func cabi_params_free(_ params: OpaquePointer?) -> afme_status {
    abiCall("afme_params_free") {
        try Handles.free(params, ParamsBox.self, "params")
        return AFME_OK
    }
}

@_cdecl("afme_params_set")
public func cabi_params_set(
    _ params: OpaquePointer?, _ key: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?
) -> afme_status {
    abiCall("afme_params_set") {
        let box = try Handles.get(params, ParamsBox.self, "params")
        let key = try string(key, "key"), value = try string(value, "value")
        var r = box.request
        try r.set(key, value)
        box.request = r
        return AFME_OK
    }
}

@_cdecl("afme_params_set_string")
public func cabi_params_set_string(_ params: OpaquePointer?, _ settings: UnsafePointer<CChar>?) -> afme_status {
    abiCall("afme_params_set_string") {
        let box = try Handles.get(params, ParamsBox.self, "params")
        let text = try string(settings, "settings")
        var r = box.request
        for item in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "," }) {
            guard let eq = item.firstIndex(of: "=") else {
                throw ABIError(AFME_ERR_INVALID_ARGUMENT, "\(quoted(item)) is not key=value")
            }
            try r.set(String(item[..<eq]), String(item[item.index(after: eq)...]))
        }
        box.request = r  // all or nothing
        return AFME_OK
    }
}

@_cdecl("afme_params_get")
public func cabi_params_get(
    _ params: OpaquePointer?, _ key: UnsafePointer<CChar>?, _ buffer: UnsafeMutablePointer<CChar>?,
    _ size: Int, _ needed: UnsafeMutablePointer<Int>?
) -> afme_status {
    abiCall("afme_params_get") {
        let box = try Handles.get(params, ParamsBox.self, "params")
        let key = try string(key, "key")
        try copyString(key == "model" ? box.request.kind : try box.request.get(key), buffer, size, needed)
        return AFME_OK
    }
}

/// The fields of afme_common_params after struct_size: (option name, byte offset, C type).
private enum CField { case i32, f32, u64, f64 }
private let commonFields: [(String, Int, CField)] = [
    ("dim", 8, .i32), ("negatives", 12, .i32), ("batch_size", 16, .i32), ("epochs", 20, .i32),
    ("gamma", 24, .f32), ("epsilon", 28, .f32), ("learning_rate", 32, .f32), ("adversarial_temperature", 36, .f32),
    ("l2", 40, .f32), ("threads", 44, .i32), ("seed", 48, .u64), ("validate_every", 56, .i32), ("patience", 60, .i32),
    ("validation_ties", 64, .i32), ("validation_limit", 68, .i32), ("time_limit_seconds", 72, .f64),
]

@_cdecl("afme_common_default_params")
public func cabi_common_default_params() -> afme_common_params {
    let c = TrainingConfig()
    return afme_common_params(
        struct_size: UInt64(MemoryLayout<afme_common_params>.size), dim: Int32(c.dim),
        negatives: Int32(c.negatives), batch_size: Int32(c.batchSize), epochs: Int32(c.epochs),
        gamma: c.gamma, epsilon: c.epsilon, learning_rate: c.learningRate,
        adversarial_temperature: c.adversarialTemperature, l2: c.l2, threads: Int32(c.threads),
        seed: c.seed, validate_every: Int32(c.validateEvery), patience: Int32(c.patience),
        validation_ties: Int32(c.validationTies.rawValue), validation_limit: Int32(c.validationLimit),
        time_limit_seconds: c.timeLimitSeconds)
}

@_cdecl("afme_params_set_common")
public func cabi_params_set_common(_ params: OpaquePointer?, _ common: UnsafeRawPointer?) -> afme_status {
    abiCall("afme_params_set_common") {
        let box = try Handles.get(params, ParamsBox.self, "params")
        let raw = try nonNull(common, "common")
        let size = raw.loadUnaligned(as: UInt64.self)
        let known = MemoryLayout<afme_common_params>.size
        guard size >= 8, size <= 1 << 20 else {
            throw ABIError(
                AFME_ERR_INVALID_ARGUMENT, "common->struct_size = \(size): set it to sizeof(afme_common_params)")
        }
        // A newer caller's larger struct is accepted when the fields this library does not know are zero
        // (their defaults), as Linux's copy_struct_from_user does; otherwise they would be silently ignored.
        if Int(size) > known {
            for i in known..<Int(size) where raw.load(fromByteOffset: i, as: UInt8.self) != 0 {
                throw ABIError(
                    AFME_ERR_INVALID_ARGUMENT,
                    "common holds nonzero fields past byte \(known) that this library (\(AFMEVersion.string)) does not know"
                )
            }
        }
        var r = box.request
        for (name, offset, type) in commonFields {
            let width = type == .i32 || type == .f32 ? 4 : 8
            guard offset + width <= Int(size) else { break }  // an older caller's struct ends here: defaults stay
            let text: String
            switch type {
            case .i32: text = String(raw.loadUnaligned(fromByteOffset: offset, as: Int32.self))
            case .f32: text = "\(raw.loadUnaligned(fromByteOffset: offset, as: Float.self))"
            case .u64: text = String(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            case .f64: text = "\(raw.loadUnaligned(fromByteOffset: offset, as: Double.self))"
            }
            try r.set(name, name == "validation_ties" ? try choiceName(name, text) : text)
        }
        box.request = r
        return AFME_OK
    }
}

/// The name of a C enum value of a choice option, or a refusal naming the valid values.
func choiceName(_ option: String, _ raw: String) throws -> String {
    guard let spec = OptionTable.named(option), case .choice(let names) = spec.type else { return raw }
    guard let i = Int(raw), names.indices.contains(i) else {
        throw ABIError(
            AFME_ERR_INVALID_ARGUMENT,
            "\(option) = \(raw) is not one of 0...\(names.count - 1) (\(names.joined(separator: ", ")))")
    }
    return names[i]
}

/// C strings of the option table, made once and kept for the life of the process (afme_option_info_get).
private let optionStrings: [[UnsafePointer<CChar>]] = OptionTable.all.map { o in
    [
        o.name, o.type.typeName, o.type.domain, o.defaultValue,
        o.kinds.isEmpty ? "all" : o.kinds.joined(separator: ","), o.doc,
    ]
    .map { (text: String) -> UnsafePointer<CChar> in UnsafePointer(text.withCString { strdup($0)! }) }
}

@_cdecl("afme_option_count")
public func cabi_option_count(_ out: UnsafeMutablePointer<Int64>?) -> afme_status {
    abiCall("afme_option_count") {
        try nonNull(out, "out").pointee = Int64(OptionTable.all.count)
        return AFME_OK
    }
}

@_cdecl("afme_option_info_get")
public func cabi_option_info_get(_ index: Int64, _ out: UnsafeMutableRawPointer?) -> afme_status {
    abiCall("afme_option_info_get") {
        let i = try id(index, below: OptionTable.all.count, "index")
        let out = try nonNull(out, "out")
        let size = out.loadUnaligned(as: UInt64.self)
        guard size >= 8 else {
            throw ABIError(AFME_ERR_INVALID_ARGUMENT, "out->struct_size = \(size): set it to sizeof(afme_option_info)")
        }
        let s = optionStrings[i]
        // Writes only the pointers the caller's struct has room for.
        for (k, p) in s.enumerated() where 8 + 8 * (k + 1) <= Int(min(size, 1 << 20)) {
            out.storeBytes(of: p, toByteOffset: 8 + 8 * k, as: UnsafePointer<CChar>.self)
        }
        return AFME_OK
    }
}
