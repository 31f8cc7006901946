/// Our own cases, in the official suite's file format, for the keywords of the dialects whose official tests are a
/// hold-out set (draft-06, 2019-09, 2020-12). Each entry is a suite file body run with the named default dialect.
enum DialectKeywordCases {
    static let draft2020_12 = #"""
    [
      {"description": "prefixItems then items",
       "schema": {"prefixItems": [{"type": "integer"}, {"type": "string"}], "items": {"type": "boolean"}},
       "tests": [
         {"description": "tuple then booleans", "data": [1, "a", true, false], "valid": true},
         {"description": "wrong tuple member", "data": ["a", 1], "valid": false},
         {"description": "wrong rest member", "data": [1, "a", 3], "valid": false},
         {"description": "short array", "data": [1], "valid": true}]},
      {"description": "items false after prefixItems closes the tuple",
       "schema": {"prefixItems": [true, true], "items": false},
       "tests": [
         {"description": "two items", "data": [1, 2], "valid": true},
         {"description": "three items", "data": [1, 2, 3], "valid": false}]},
      {"description": "items in an applicator does not see prefixItems",
       "schema": {"allOf": [{"prefixItems": [{"minimum": 3}]}], "items": {"minimum": 5}},
       "tests": [
         {"description": "first item checked by both", "data": [5, 5], "valid": true},
         {"description": "first item fails items", "data": [3, 5], "valid": false}]},
      {"description": "dynamicRef resolves to the outermost dynamic anchor in scope",
       "schema": {"$id": "https://example.test/root", "$ref": "list",
                  "$defs": {"string-items": {"$dynamicAnchor": "items", "type": "string"},
                            "list": {"$id": "list", "type": "array", "items": {"$dynamicRef": "#items"},
                                     "$defs": {"default": {"$dynamicAnchor": "items"}}}}},
       "tests": [
         {"description": "strings", "data": ["a", "b"], "valid": true},
         {"description": "a number", "data": ["a", 1], "valid": false}]},
      {"description": "dynamicRef whose static target is a plain anchor acts like ref",
       "schema": {"$id": "https://example.test/plain", "$ref": "list",
                  "$defs": {"string-items": {"$dynamicAnchor": "items", "type": "string"},
                            "list": {"$id": "list", "items": {"$dynamicRef": "#items"},
                                     "$defs": {"default": {"$anchor": "items"}}}}},
       "tests": [{"description": "anything", "data": ["a", 1], "valid": true}]},
      {"description": "dynamicRef with a pointer fragment acts like ref",
       "schema": {"$id": "https://example.test/pointer", "$ref": "list",
                  "$defs": {"string-items": {"$dynamicAnchor": "items", "type": "string"},
                            "list": {"$id": "list", "items": {"$dynamicRef": "#/$defs/items"},
                                     "$defs": {"items": {"$dynamicAnchor": "items", "type": "number"}}}}},
       "tests": [
         {"description": "numbers", "data": [1, 2], "valid": true},
         {"description": "strings", "data": ["a"], "valid": false}]},
      {"description": "a scope left behind is not used",
       "schema": {"$id": "https://example.test/leave",
                  "if": {"$id": "first", "$defs": {"x": {"$dynamicAnchor": "x", "type": "number"}}},
                  "then": {"$id": "second", "$ref": "start", "$defs": {"x": {"$dynamicAnchor": "x", "type": "null"}}},
                  "$defs": {"start": {"$id": "start", "$dynamicRef": "inner#x"},
                            "inner": {"$id": "inner", "$dynamicAnchor": "x", "type": "string"}}},
       "tests": [
         {"description": "null from the second scope", "data": null, "valid": true},
         {"description": "number from a scope already left", "data": 1, "valid": false},
         {"description": "string from the first stop", "data": "s", "valid": false}]},
      {"description": "dynamic anchors of the whole root resource count, whatever the allOf order",
       "schema": {"$id": "https://example.test/order",
                  "allOf": [{"$defs": {"e": {"$dynamicAnchor": "element", "type": "integer"}}},
                            {"$ref": "generic"}],
                  "$defs": {"generic": {"$id": "generic", "items": {"$dynamicRef": "#element"},
                                        "$defs": {"e": {"$dynamicAnchor": "element"}}}}},
       "tests": [
         {"description": "integers", "data": [1, 2], "valid": true},
         {"description": "a string", "data": [1, "x"], "valid": false}]},
      {"description": "unevaluatedProperties sees properties of in-place applicators",
       "schema": {"properties": {"a": true}, "allOf": [{"properties": {"b": true}}],
                  "anyOf": [{"properties": {"c": true}, "required": ["c"]}, {"properties": {"d": true}, "required": ["d"]}],
                  "unevaluatedProperties": false},
       "tests": [
         {"description": "all evaluated", "data": {"a": 1, "b": 2, "c": 3, "d": 4}, "valid": true},
         {"description": "d is evaluated only by a failing branch", "data": {"c": 1, "d": 2, "d2": 3}, "valid": false},
         {"description": "extra property", "data": {"c": 1, "x": 2}, "valid": false}]},
      {"description": "unevaluatedProperties ignores annotations of failed subschemas and not",
       "schema": {"not": {"not": {"properties": {"a": true}}}, "if": {"properties": {"b": {"const": 1}}},
                  "then": {"properties": {"c": true}}, "unevaluatedProperties": false},
       "tests": [
         {"description": "a only came through not", "data": {"a": 1}, "valid": false},
         {"description": "if holds: b and c evaluated", "data": {"b": 1, "c": 2}, "valid": true},
         {"description": "if fails: b not evaluated", "data": {"b": 2}, "valid": false}]},
      {"description": "unevaluatedProperties cannot see inside cousins",
       "schema": {"allOf": [{"properties": {"a": true}}, {"unevaluatedProperties": false}]},
       "tests": [{"description": "always fails with a", "data": {"a": 1}, "valid": false}]},
      {"description": "nested unevaluatedProperties true evaluates everything",
       "schema": {"allOf": [{"unevaluatedProperties": true}], "unevaluatedProperties": false},
       "tests": [{"description": "anything", "data": {"a": 1}, "valid": true}]},
      {"description": "unevaluatedProperties through ref and dependentSchemas",
       "schema": {"$ref": "#/$defs/base", "dependentSchemas": {"x": {"properties": {"y": true}}},
                  "unevaluatedProperties": false, "$defs": {"base": {"properties": {"x": true}}}},
       "tests": [
         {"description": "x and y", "data": {"x": 1, "y": 2}, "valid": true},
         {"description": "y without x", "data": {"y": 2}, "valid": false}]},
      {"description": "unevaluatedItems with prefixItems, contains and nested items",
       "schema": {"prefixItems": [true], "contains": {"type": "string"}, "unevaluatedItems": false},
       "tests": [
         {"description": "second item matched by contains", "data": [1, "a"], "valid": true},
         {"description": "second item not evaluated", "data": [1, 2, "a"], "valid": false}]},
      {"description": "unevaluatedItems with minContains 0 still counts matches",
       "schema": {"contains": {"type": "string"}, "minContains": 0, "unevaluatedItems": false},
       "tests": [
         {"description": "all strings", "data": ["a", "b"], "valid": true},
         {"description": "empty", "data": [], "valid": true},
         {"description": "a number", "data": ["a", 1], "valid": false}]},
      {"description": "unevaluatedItems sees items of an applicator",
       "schema": {"anyOf": [{"items": true}], "unevaluatedItems": false},
       "tests": [{"description": "all items evaluated", "data": [1, 2], "valid": true}]},
      {"description": "minContains and maxContains",
       "schema": {"contains": {"const": 1}, "minContains": 2, "maxContains": 3},
       "tests": [
         {"description": "too few", "data": [1, 2], "valid": false},
         {"description": "enough", "data": [1, 1, 2], "valid": true},
         {"description": "too many", "data": [1, 1, 1, 1], "valid": false},
         {"description": "not an array", "data": "x", "valid": true}]},
      {"description": "maxContains without contains is ignored",
       "schema": {"maxContains": 1},
       "tests": [{"description": "anything", "data": [1, 1], "valid": true}]},
      {"description": "dependentRequired and dependentSchemas",
       "schema": {"dependentRequired": {"card": ["billing"]}, "dependentSchemas": {"bar": {"required": ["baz"]}}},
       "tests": [
         {"description": "satisfied", "data": {"card": 1, "billing": 2, "bar": 1, "baz": 1}, "valid": true},
         {"description": "missing billing", "data": {"card": 1}, "valid": false},
         {"description": "missing baz", "data": {"bar": 1}, "valid": false}]},
      {"description": "dependencies is not a 2020-12 keyword",
       "schema": {"dependencies": {"a": ["b"]}},
       "tests": [{"description": "ignored", "data": {"a": 1}, "valid": true}]},
      {"description": "anchor and embedded resources",
       "schema": {"$id": "https://example.test/anchors", "$ref": "child#pos",
                  "$defs": {"c": {"$id": "child", "$defs": {"p": {"$anchor": "pos", "minimum": 0}}}}},
       "tests": [
         {"description": "positive", "data": 1, "valid": true},
         {"description": "negative", "data": -1, "valid": false}]},
      {"description": "definitions are validated by the meta-schema",
       "schema": {"$ref": "https://json-schema.org/draft/2020-12/schema"},
       "tests": [
         {"description": "valid schema", "data": {"$defs": {"a": {"type": "integer"}}, "items": {"minimum": 1}}, "valid": true},
         {"description": "wrong type in a definition", "data": {"$defs": {"a": {"type": 1}}}, "valid": false},
         {"description": "bad nested keyword", "data": {"properties": {"x": {"minLength": -1}}}, "valid": false},
         {"description": "fragment in $id", "data": {"$id": "urn:example:x#part"}, "valid": false}]},
      {"description": "format is an annotation by default",
       "schema": {"format": "email"},
       "tests": [{"description": "not an email", "data": "nope", "valid": true}]},
      {"description": "ref with siblings: both apply",
       "schema": {"$ref": "#/$defs/a", "maximum": 5, "$defs": {"a": {"minimum": 1}}},
       "tests": [
         {"description": "in range", "data": 3, "valid": true},
         {"description": "above", "data": 6, "valid": false},
         {"description": "below", "data": 0, "valid": false}]},
      {"description": "$id in an unknown keyword is not an identifier",
       "schema": {"$id": "https://example.test/unknown",
                  "$defs": {"a": {"$id": "https://example.test/unknown/real", "type": "integer"}},
                  "x-unknown": {"$id": "https://example.test/unknown/real", "type": "string"},
                  "$ref": "https://example.test/unknown/real"},
       "tests": [
         {"description": "integer", "data": 1, "valid": true},
         {"description": "string", "data": "a", "valid": false}]},
      {"description": "a meta-schema without the validation vocabulary turns validation keywords off",
       "schema": {"$schema": "http://localhost:1234/draft2020-12/metaschema-no-validation.json",
                  "properties": {"forbidden": false, "number": {"minimum": 10}}},
       "tests": [
         {"description": "applicators still apply", "data": {"forbidden": 1}, "valid": false},
         {"description": "minimum is ignored", "data": {"number": 1}, "valid": true}]},
      {"description": "an unknown optional vocabulary is ignored",
       "schema": {"$schema": "http://localhost:1234/draft2020-12/metaschema-optional-vocabulary.json", "type": "number"},
       "tests": [
         {"description": "number", "data": 1, "valid": true},
         {"description": "string", "data": "a", "valid": false}]},
      {"description": "a meta-schema with the format-assertion vocabulary asserts format",
       "schema": {"$schema": "http://localhost:1234/draft2020-12/format-assertion-true.json", "format": "ipv4"},
       "tests": [
         {"description": "an address", "data": "127.0.0.1", "valid": true},
         {"description": "not an address", "data": "127.0.0.300", "valid": false}]},
      {"description": "ref to a location inside an unknown keyword",
       "schema": {"x-unknown": {"positive": {"minimum": 0}}, "$ref": "#/x-unknown/positive"},
       "tests": [
         {"description": "positive", "data": 1, "valid": true},
         {"description": "negative", "data": -1, "valid": false}]}
    ]
    """#

    static let draft2019_09 = #"""
    [
      {"description": "recursiveRef with recursiveAnchor in both resources goes to the outermost",
       "schema": {"$id": "https://example.test/recursive/root", "$recursiveAnchor": true,
                  "anyOf": [{"type": "integer"}, {"$ref": "#/$defs/tree"}],
                  "$defs": {"tree": {"$id": "tree", "$recursiveAnchor": true,
                                     "anyOf": [{"type": "string"},
                                               {"type": "object", "additionalProperties": {"$recursiveRef": "#"}}]}}},
       "tests": [
         {"description": "integer leaf allowed by the root", "data": {"a": {"b": 1}}, "valid": true},
         {"description": "boolean leaf", "data": {"a": true}, "valid": false}]},
      {"description": "recursiveRef without an anchor on the root stops at the inner resource",
       "schema": {"$id": "https://example.test/recursive2/root",
                  "anyOf": [{"type": "integer"}, {"$ref": "#/$defs/tree"}],
                  "$defs": {"tree": {"$id": "tree", "$recursiveAnchor": true,
                                     "anyOf": [{"type": "string"},
                                               {"type": "object", "additionalProperties": {"$recursiveRef": "#"}}]}}},
       "tests": [
         {"description": "integer at the top", "data": 1, "valid": true},
         {"description": "integer leaf", "data": {"a": 1}, "valid": false},
         {"description": "string leaf", "data": {"a": {"b": "x"}}, "valid": true}]},
      {"description": "items array with additionalItems",
       "schema": {"items": [{"type": "integer"}], "additionalItems": {"type": "string"}},
       "tests": [
         {"description": "valid", "data": [1, "a", "b"], "valid": true},
         {"description": "invalid rest", "data": [1, 2], "valid": false}]},
      {"description": "contains does not evaluate items for unevaluatedItems in 2019-09",
       "schema": {"items": [true], "contains": {"type": "string"}, "unevaluatedItems": false},
       "tests": [{"description": "second item unevaluated", "data": [1, "a"], "valid": false}]},
      {"description": "unevaluatedItems sees additionalItems",
       "schema": {"allOf": [{"items": [true], "additionalItems": true}], "unevaluatedItems": false},
       "tests": [{"description": "all evaluated", "data": [1, 2, 3], "valid": true}]},
      {"description": "prefixItems is not a 2019-09 keyword",
       "schema": {"prefixItems": [{"type": "string"}]},
       "tests": [{"description": "ignored", "data": [1], "valid": true}]},
      {"description": "definitions validated by the 2019-09 meta-schema",
       "schema": {"$ref": "https://json-schema.org/draft/2019-09/schema"},
       "tests": [
         {"description": "valid", "data": {"$defs": {"a": {"type": "string"}}}, "valid": true},
         {"description": "invalid", "data": {"$defs": {"a": {"type": 1}}}, "valid": false}]}
    ]
    """#

    static let draft6 = #"""
    [
      {"description": "const, contains, propertyNames, numeric exclusive limits",
       "schema": {"properties": {"c": {"const": {"a": [1.0]}}, "l": {"contains": {"minimum": 5}},
                                 "n": {"exclusiveMaximum": 3, "exclusiveMinimum": 1}},
                  "propertyNames": {"maxLength": 1}},
       "tests": [
         {"description": "valid", "data": {"c": {"a": [1]}, "l": [1, 6], "n": 2}, "valid": true},
         {"description": "const differs", "data": {"c": {"a": [2]}}, "valid": false},
         {"description": "nothing contained", "data": {"l": [1]}, "valid": false},
         {"description": "exclusive maximum", "data": {"n": 3}, "valid": false},
         {"description": "long name", "data": {"long": 1}, "valid": false}]},
      {"description": "boolean schemas",
       "schema": {"properties": {"yes": true, "no": false}},
       "tests": [
         {"description": "allowed", "data": {"yes": 1}, "valid": true},
         {"description": "forbidden", "data": {"no": 1}, "valid": false}]},
      {"description": "$ref ignores its siblings, including $id",
       "schema": {"$id": "http://example.test/draft6/", "definitions": {"a": {"type": "integer"}},
                  "properties": {"x": {"$id": "elsewhere/", "$ref": "#/definitions/a", "maximum": 0}}},
       "tests": [
         {"description": "sibling maximum ignored", "data": {"x": 5}, "valid": true},
         {"description": "ref applies", "data": {"x": "a"}, "valid": false}]},
      {"description": "if/then/else is not a draft-06 keyword",
       "schema": {"if": {"type": "string"}, "then": false},
       "tests": [{"description": "ignored", "data": "a", "valid": true}]}
    ]
    """#
}
