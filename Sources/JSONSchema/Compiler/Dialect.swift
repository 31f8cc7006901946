/// A JSON Schema specification version; decides which keywords exist and what they mean.
public enum Dialect: Sendable, CaseIterable, Comparable {
    case draft4, draft6, draft7, draft2019_09, draft2020_12

    /// The canonical meta-schema URI (`$schema` value) of the dialect.
    public var metaSchemaURI: String {
        switch self {
        case .draft4: "http://json-schema.org/draft-04/schema#"
        case .draft6: "http://json-schema.org/draft-06/schema#"
        case .draft7: "http://json-schema.org/draft-07/schema#"
        case .draft2019_09: "https://json-schema.org/draft/2019-09/schema"
        case .draft2020_12: "https://json-schema.org/draft/2020-12/schema"
        }
    }

    /// The dialect a `$schema` value names, accepting `http`/`https` and an empty trailing fragment.
    public init?(metaSchemaURI uri: String) {
        var key = uri.hasSuffix("#") ? String(uri.dropLast()) : uri
        if key.hasPrefix("https://") { key = "http://" + key.dropFirst(8) }
        switch key {
        case "http://json-schema.org/draft-04/schema", "http://json-schema.org/schema": self = .draft4
        case "http://json-schema.org/draft-06/schema": self = .draft6
        case "http://json-schema.org/draft-07/schema": self = .draft7
        case "http://json-schema.org/draft/2019-09/schema": self = .draft2019_09
        case "http://json-schema.org/draft/2020-12/schema": self = .draft2020_12
        default: return nil
        }
    }

    /// The folder name the official test suite uses for this dialect.
    public var suiteFolderName: String {
        switch self {
        case .draft4: "draft4"
        case .draft6: "draft6"
        case .draft7: "draft7"
        case .draft2019_09: "draft2019-09"
        case .draft2020_12: "draft2020-12"
        }
    }

    /// Before 2019-09 `$ref` replaces the whole schema object: its siblings (even `$id`) are ignored.
    var refOverridesSiblings: Bool { self <= .draft7 }

    /// The keyword that names a schema resource.
    var idKeyword: String { self == .draft4 ? "id" : "$id" }
}
