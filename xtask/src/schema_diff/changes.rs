//! What changed between two schemas, each change classified as graphql-inspector does:
//! `Breaking` (some valid client operation fails or reads a different shape), `Dangerous`
//! (valid operations still run, but clients may meet a value they do not expect) or `Safe`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use graphql_tools::static_graphql::schema::Type;

use super::model::{Composite, FieldDef, InputDef, Schema, TypeDef};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Criticality {
    Breaking,
    Dangerous,
    Safe,
}

impl fmt::Display for Criticality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Breaking => "breaking",
            Self::Dangerous => "dangerous",
            Self::Safe => "safe",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    TypeAdded,
    TypeRemoved,
    TypeKindChanged,
    FieldAdded,
    FieldRemoved,
    FieldTypeChanged,
    FieldDeprecationAdded,
    FieldDeprecationRemoved,
    ArgumentAdded,
    ArgumentRemoved,
    ArgumentTypeChanged,
    ArgumentDefaultChanged,
    InputFieldAdded,
    InputFieldRemoved,
    InputFieldTypeChanged,
    InputFieldDefaultChanged,
    EnumValueAdded,
    EnumValueRemoved,
    EnumValueDeprecationAdded,
    EnumValueDeprecationRemoved,
    UnionMemberAdded,
    UnionMemberRemoved,
    InterfaceAdded,
    InterfaceRemoved,
    DirectiveAdded,
    DirectiveRemoved,
    DirectiveLocationRemoved,
    DirectiveArgumentAdded,
    DirectiveArgumentRemoved,
}

impl ChangeKind {
    /// The first half of a change's id: stable, named like graphql-inspector's change types.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TypeAdded => "TYPE_ADDED",
            Self::TypeRemoved => "TYPE_REMOVED",
            Self::TypeKindChanged => "TYPE_KIND_CHANGED",
            Self::FieldAdded => "FIELD_ADDED",
            Self::FieldRemoved => "FIELD_REMOVED",
            Self::FieldTypeChanged => "FIELD_TYPE_CHANGED",
            Self::FieldDeprecationAdded => "FIELD_DEPRECATION_ADDED",
            Self::FieldDeprecationRemoved => "FIELD_DEPRECATION_REMOVED",
            Self::ArgumentAdded => "FIELD_ARGUMENT_ADDED",
            Self::ArgumentRemoved => "FIELD_ARGUMENT_REMOVED",
            Self::ArgumentTypeChanged => "FIELD_ARGUMENT_TYPE_CHANGED",
            Self::ArgumentDefaultChanged => "FIELD_ARGUMENT_DEFAULT_CHANGED",
            Self::InputFieldAdded => "INPUT_FIELD_ADDED",
            Self::InputFieldRemoved => "INPUT_FIELD_REMOVED",
            Self::InputFieldTypeChanged => "INPUT_FIELD_TYPE_CHANGED",
            Self::InputFieldDefaultChanged => "INPUT_FIELD_DEFAULT_VALUE_CHANGED",
            Self::EnumValueAdded => "ENUM_VALUE_ADDED",
            Self::EnumValueRemoved => "ENUM_VALUE_REMOVED",
            Self::EnumValueDeprecationAdded => "ENUM_VALUE_DEPRECATION_ADDED",
            Self::EnumValueDeprecationRemoved => "ENUM_VALUE_DEPRECATION_REMOVED",
            Self::UnionMemberAdded => "UNION_MEMBER_ADDED",
            Self::UnionMemberRemoved => "UNION_MEMBER_REMOVED",
            Self::InterfaceAdded => "OBJECT_TYPE_INTERFACE_ADDED",
            Self::InterfaceRemoved => "OBJECT_TYPE_INTERFACE_REMOVED",
            Self::DirectiveAdded => "DIRECTIVE_ADDED",
            Self::DirectiveRemoved => "DIRECTIVE_REMOVED",
            Self::DirectiveLocationRemoved => "DIRECTIVE_LOCATION_REMOVED",
            Self::DirectiveArgumentAdded => "DIRECTIVE_ARGUMENT_ADDED",
            Self::DirectiveArgumentRemoved => "DIRECTIVE_ARGUMENT_REMOVED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub criticality: Criticality,
    pub kind: ChangeKind,
    /// What changed: `Type`, `Type.field`, `Type.field.argument`, `Enum.VALUE`,
    /// `Union.Member`, `Object.Interface`, `@directive`, `@directive.argument`.
    pub path: String,
    pub message: String,
}

impl Change {
    /// `KIND:path`, e.g. `FIELD_REMOVED:Product.slug`: what an acknowledgement names. It
    /// depends only on what changed, not on wording, so it survives rebases.
    pub fn id(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.path)
    }
}

/// Every change from `old` to `new`, breaking ones first.
pub fn diff(old: &Schema, new: &Schema) -> Vec<Change> {
    let mut changes = Changes::default();
    for (name, old_type) in &old.types {
        match new.types.get(name) {
            None => changes.push(
                Criticality::Breaking,
                ChangeKind::TypeRemoved,
                name,
                format!("{} `{name}` was removed", old_type.kind()),
            ),
            Some(new_type) => changes.type_changed(name, old_type, new_type),
        }
    }
    for (name, new_type) in &new.types {
        if !old.types.contains_key(name) {
            changes.push(
                Criticality::Safe,
                ChangeKind::TypeAdded,
                name,
                format!("{} `{name}` was added", new_type.kind()),
            );
        }
    }
    changes.directives(old, new);
    let mut changes = changes.0;
    changes.sort();
    changes
}

#[derive(Default)]
struct Changes(Vec<Change>);

impl Changes {
    fn push(&mut self, criticality: Criticality, kind: ChangeKind, path: &str, message: String) {
        self.0.push(Change {
            criticality,
            kind,
            path: path.to_owned(),
            message,
        });
    }

    fn type_changed(&mut self, name: &str, old: &TypeDef, new: &TypeDef) {
        match (old, new) {
            (TypeDef::Scalar, TypeDef::Scalar) => {}
            (TypeDef::Object(old), TypeDef::Object(new))
            | (TypeDef::Interface(old), TypeDef::Interface(new)) => {
                self.composite(name, old, new);
            }
            (TypeDef::Union(old), TypeDef::Union(new)) => self.members(name, old, new),
            (TypeDef::Enum(old), TypeDef::Enum(new)) => self.enum_values(name, old, new),
            (TypeDef::InputObject(old), TypeDef::InputObject(new)) => {
                self.input_fields(name, old, new);
            }
            _ => self.push(
                Criticality::Breaking,
                ChangeKind::TypeKindChanged,
                name,
                format!("`{name}` changed from {} to {}", old.kind(), new.kind()),
            ),
        }
    }

    fn composite(&mut self, name: &str, old: &Composite, new: &Composite) {
        for (field, old_field) in &old.fields {
            let path = format!("{name}.{field}");
            match new.fields.get(field) {
                None => self.push(
                    Criticality::Breaking,
                    ChangeKind::FieldRemoved,
                    &path,
                    format!("field `{path}` was removed"),
                ),
                Some(new_field) => self.field(&path, old_field, new_field),
            }
        }
        for field in new.fields.keys().filter(|f| !old.fields.contains_key(*f)) {
            let path = format!("{name}.{field}");
            let message = format!("field `{path}` was added");
            self.push(Criticality::Safe, ChangeKind::FieldAdded, &path, message);
        }
        for interface in old.interfaces.difference(&new.interfaces) {
            self.push(
                Criticality::Breaking,
                ChangeKind::InterfaceRemoved,
                &format!("{name}.{interface}"),
                format!("`{name}` no longer implements `{interface}`"),
            );
        }
        for interface in new.interfaces.difference(&old.interfaces) {
            self.push(
                Criticality::Dangerous,
                ChangeKind::InterfaceAdded,
                &format!("{name}.{interface}"),
                format!(
                    "`{name}` now implements `{interface}`: fragments on `{interface}` may now \
                     match it"
                ),
            );
        }
    }

    fn field(&mut self, path: &str, old: &FieldDef, new: &FieldDef) {
        if old.ty != new.ty {
            let criticality = if safe_output_change(&old.ty, &new.ty) {
                Criticality::Safe
            } else {
                Criticality::Breaking
            };
            self.push(
                criticality,
                ChangeKind::FieldTypeChanged,
                path,
                format!(
                    "field `{path}` changed type from `{}` to `{}`",
                    old.ty, new.ty
                ),
            );
        }
        match (&old.deprecated, &new.deprecated) {
            (None, Some(reason)) => self.push(
                Criticality::Safe,
                ChangeKind::FieldDeprecationAdded,
                path,
                format!("field `{path}` is deprecated: {reason}"),
            ),
            (Some(_), None) => self.push(
                Criticality::Safe,
                ChangeKind::FieldDeprecationRemoved,
                path,
                format!("field `{path}` is no longer deprecated"),
            ),
            _ => {}
        }
        self.arguments(path, &old.arguments, &new.arguments, ArgumentKinds::FIELD);
    }

    fn arguments(
        &mut self,
        owner: &str,
        old: &BTreeMap<String, InputDef>,
        new: &BTreeMap<String, InputDef>,
        kinds: ArgumentKinds,
    ) {
        for (name, old_argument) in old {
            let path = format!("{owner}.{name}");
            let Some(new_argument) = new.get(name) else {
                let message = format!("argument `{name}` of `{owner}` was removed");
                self.push(Criticality::Breaking, kinds.removed, &path, message);
                continue;
            };
            if old_argument.ty != new_argument.ty {
                let criticality = if safe_input_change(&old_argument.ty, &new_argument.ty) {
                    Criticality::Safe
                } else {
                    Criticality::Breaking
                };
                let message = format!(
                    "argument `{name}` of `{owner}` changed type from `{}` to `{}`",
                    old_argument.ty, new_argument.ty
                );
                self.push(criticality, kinds.type_changed, &path, message);
            }
            if old_argument.default != new_argument.default {
                let message = format!(
                    "argument `{name}` of `{owner}` changed its default from {} to {}",
                    shown(&old_argument.default),
                    shown(&new_argument.default)
                );
                self.push(
                    Criticality::Dangerous,
                    kinds.default_changed,
                    &path,
                    message,
                );
            }
        }
        for (name, argument) in new.iter().filter(|(name, _)| !old.contains_key(*name)) {
            let path = format!("{owner}.{name}");
            let (criticality, message) = if argument.is_required() {
                let message = format!(
                    "required argument `{name}: {}` was added to `{owner}`",
                    argument.ty
                );
                (Criticality::Breaking, message)
            } else {
                let message = format!("optional argument `{name}` was added to `{owner}`");
                (Criticality::Dangerous, message)
            };
            self.push(criticality, kinds.added, &path, message);
        }
    }

    fn input_fields(
        &mut self,
        name: &str,
        old: &BTreeMap<String, InputDef>,
        new: &BTreeMap<String, InputDef>,
    ) {
        for (field, old_field) in old {
            let path = format!("{name}.{field}");
            let Some(new_field) = new.get(field) else {
                let message = format!("input field `{path}` was removed");
                self.push(
                    Criticality::Breaking,
                    ChangeKind::InputFieldRemoved,
                    &path,
                    message,
                );
                continue;
            };
            if old_field.ty != new_field.ty {
                let criticality = if safe_input_change(&old_field.ty, &new_field.ty) {
                    Criticality::Safe
                } else {
                    Criticality::Breaking
                };
                let message = format!(
                    "input field `{path}` changed type from `{}` to `{}`",
                    old_field.ty, new_field.ty
                );
                self.push(
                    criticality,
                    ChangeKind::InputFieldTypeChanged,
                    &path,
                    message,
                );
            }
            if old_field.default != new_field.default {
                let message = format!(
                    "input field `{path}` changed its default from {} to {}",
                    shown(&old_field.default),
                    shown(&new_field.default)
                );
                let kind = ChangeKind::InputFieldDefaultChanged;
                self.push(Criticality::Dangerous, kind, &path, message);
            }
        }
        for (field, input) in new.iter().filter(|(field, _)| !old.contains_key(*field)) {
            let path = format!("{name}.{field}");
            let (criticality, message) = if input.is_required() {
                let message = format!("required input field `{path}: {}` was added", input.ty);
                (Criticality::Breaking, message)
            } else {
                (
                    Criticality::Dangerous,
                    format!("optional input field `{path}` was added"),
                )
            };
            self.push(criticality, ChangeKind::InputFieldAdded, &path, message);
        }
    }

    fn enum_values(
        &mut self,
        name: &str,
        old: &BTreeMap<String, Option<String>>,
        new: &BTreeMap<String, Option<String>>,
    ) {
        for (value, old_deprecation) in old {
            let path = format!("{name}.{value}");
            match (new.get(value), old_deprecation) {
                (None, _) => {
                    let message = format!("enum value `{path}` was removed");
                    self.push(
                        Criticality::Breaking,
                        ChangeKind::EnumValueRemoved,
                        &path,
                        message,
                    );
                }
                (Some(Some(reason)), None) => {
                    let message = format!("enum value `{path}` is deprecated: {reason}");
                    let kind = ChangeKind::EnumValueDeprecationAdded;
                    self.push(Criticality::Safe, kind, &path, message);
                }
                (Some(None), Some(_)) => {
                    let message = format!("enum value `{path}` is no longer deprecated");
                    let kind = ChangeKind::EnumValueDeprecationRemoved;
                    self.push(Criticality::Safe, kind, &path, message);
                }
                (Some(_), _) => {}
            }
        }
        for value in new.keys().filter(|value| !old.contains_key(*value)) {
            let path = format!("{name}.{value}");
            let message = format!(
                "enum value `{path}` was added: clients that switch over `{name}` may meet it"
            );
            self.push(
                Criticality::Dangerous,
                ChangeKind::EnumValueAdded,
                &path,
                message,
            );
        }
    }

    fn members(&mut self, name: &str, old: &BTreeSet<String>, new: &BTreeSet<String>) {
        for member in old.difference(new) {
            let path = format!("{name}.{member}");
            let message = format!("`{member}` was removed from union `{name}`");
            self.push(
                Criticality::Breaking,
                ChangeKind::UnionMemberRemoved,
                &path,
                message,
            );
        }
        for member in new.difference(old) {
            let path = format!("{name}.{member}");
            let message = format!(
                "`{member}` was added to union `{name}`: clients may meet a type they do not \
                 select"
            );
            self.push(
                Criticality::Dangerous,
                ChangeKind::UnionMemberAdded,
                &path,
                message,
            );
        }
    }

    fn directives(&mut self, old: &Schema, new: &Schema) {
        for (name, old_directive) in &old.directives {
            let path = format!("@{name}");
            let Some(new_directive) = new.directives.get(name) else {
                let message = format!("directive `{path}` was removed");
                self.push(
                    Criticality::Breaking,
                    ChangeKind::DirectiveRemoved,
                    &path,
                    message,
                );
                continue;
            };
            for location in old_directive.locations.difference(&new_directive.locations) {
                let message = format!("directive `{path}` can no longer be used on {location}");
                let kind = ChangeKind::DirectiveLocationRemoved;
                self.push(
                    Criticality::Breaking,
                    kind,
                    &format!("{path}.{location}"),
                    message,
                );
            }
            self.arguments(
                &path,
                &old_directive.arguments,
                &new_directive.arguments,
                ArgumentKinds::DIRECTIVE,
            );
        }
        for name in new
            .directives
            .keys()
            .filter(|n| !old.directives.contains_key(*n))
        {
            let path = format!("@{name}");
            let message = format!("directive `{path}` was added");
            self.push(
                Criticality::Safe,
                ChangeKind::DirectiveAdded,
                &path,
                message,
            );
        }
    }
}

/// The kinds an argument's changes are reported as: a field's, or a directive's (whose type
/// and default changes are reported like a field argument's).
#[derive(Clone, Copy)]
struct ArgumentKinds {
    added: ChangeKind,
    removed: ChangeKind,
    type_changed: ChangeKind,
    default_changed: ChangeKind,
}

impl ArgumentKinds {
    const FIELD: Self = Self {
        added: ChangeKind::ArgumentAdded,
        removed: ChangeKind::ArgumentRemoved,
        type_changed: ChangeKind::ArgumentTypeChanged,
        default_changed: ChangeKind::ArgumentDefaultChanged,
    };
    const DIRECTIVE: Self = Self {
        added: ChangeKind::DirectiveArgumentAdded,
        removed: ChangeKind::DirectiveArgumentRemoved,
        type_changed: ChangeKind::ArgumentTypeChanged,
        default_changed: ChangeKind::ArgumentDefaultChanged,
    };
}

fn shown(default: &Option<String>) -> String {
    default
        .as_ref()
        .map_or_else(|| "none".to_owned(), |value| format!("`{value}`"))
}

/// An output type may only get stricter: a client reading `new` gets values it could have got
/// from `old` (nullable → non-null is safe, the reverse is not; the named type stays).
fn safe_output_change(old: &Type, new: &Type) -> bool {
    match (old, new) {
        (Type::NonNullType(old), Type::NonNullType(new)) => safe_output_change(old, new),
        (Type::NonNullType(_), _) => false,
        (_, Type::NonNullType(new)) => safe_output_change(old, new),
        (Type::ListType(old), Type::ListType(new)) => safe_output_change(old, new),
        (Type::NamedType(old), Type::NamedType(new)) => old == new,
        _ => false,
    }
}

/// An input type may only get looser: every value a client sent for `old` is valid for `new`
/// (non-null → nullable is safe, the reverse is not; the named type stays).
fn safe_input_change(old: &Type, new: &Type) -> bool {
    match (old, new) {
        (Type::NonNullType(old), Type::NonNullType(new)) => safe_input_change(old, new),
        (Type::NonNullType(old), _) => safe_input_change(old, new),
        (_, Type::NonNullType(_)) => false,
        (Type::ListType(old), Type::ListType(new)) => safe_input_change(old, new),
        (Type::NamedType(old), Type::NamedType(new)) => old == new,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The changes from `old` to `new` as `criticality id` lines.
    fn changes(old: &str, new: &str) -> Vec<String> {
        let old = Schema::parse(old).expect("old SDL parses");
        let new = Schema::parse(new).expect("new SDL parses");
        diff(&old, &new)
            .iter()
            .map(|change| format!("{} {}", change.criticality, change.id()))
            .collect()
    }

    #[test]
    fn identical_schemas_have_no_changes() {
        let sdl = "type Query { a(x: Int = 1): [String!]! } enum E { A B } union U = Query";
        assert!(changes(sdl, sdl).is_empty());
    }

    #[test]
    fn removing_a_type_breaks_and_adding_one_is_safe() {
        assert_eq!(
            changes(
                "type Query { a: Int } type Old { a: Int }",
                "type Query { a: Int } type New { a: Int }"
            ),
            ["breaking TYPE_REMOVED:Old", "safe TYPE_ADDED:New"]
        );
    }

    #[test]
    fn changing_a_types_kind_breaks() {
        assert_eq!(
            changes(
                "type Query { a: T } type T { a: Int }",
                "type Query { a: T } interface T { a: Int }"
            ),
            ["breaking TYPE_KIND_CHANGED:T"]
        );
    }

    #[test]
    fn removing_a_field_breaks_and_adding_one_is_safe() {
        assert_eq!(
            changes(
                "type Query { a: Int b: Int }",
                "type Query { a: Int c: Int }"
            ),
            ["breaking FIELD_REMOVED:Query.b", "safe FIELD_ADDED:Query.c"]
        );
        assert_eq!(
            changes(
                "type Query { a: I } interface I { a: Int b: Int }",
                "type Query { a: I } interface I { a: Int }"
            ),
            ["breaking FIELD_REMOVED:I.b"]
        );
    }

    #[test]
    fn an_output_field_may_become_non_null_but_not_nullable() {
        assert_eq!(
            changes(
                "type Query { a: Int b: Int! }",
                "type Query { a: Int! b: Int }"
            ),
            [
                "breaking FIELD_TYPE_CHANGED:Query.b",
                "safe FIELD_TYPE_CHANGED:Query.a"
            ]
        );
    }

    #[test]
    fn an_output_field_changing_its_named_type_or_list_shape_breaks() {
        assert_eq!(
            changes(
                "type Query { a: Int b: [Int] c: [Int] }",
                "type Query { a: String b: Int c: [Int!]! }"
            ),
            [
                "breaking FIELD_TYPE_CHANGED:Query.a",
                "breaking FIELD_TYPE_CHANGED:Query.b",
                "safe FIELD_TYPE_CHANGED:Query.c"
            ]
        );
    }

    #[test]
    fn a_new_required_argument_breaks_and_an_optional_one_is_dangerous() {
        assert_eq!(
            changes(
                "type Query { a: Int }",
                "type Query { a(x: Int!, y: Int, z: Int! = 3): Int }"
            ),
            [
                "breaking FIELD_ARGUMENT_ADDED:Query.a.x",
                "dangerous FIELD_ARGUMENT_ADDED:Query.a.y",
                "dangerous FIELD_ARGUMENT_ADDED:Query.a.z"
            ]
        );
    }

    #[test]
    fn removing_an_argument_breaks() {
        assert_eq!(
            changes("type Query { a(x: Int): Int }", "type Query { a: Int }"),
            ["breaking FIELD_ARGUMENT_REMOVED:Query.a.x"]
        );
    }

    #[test]
    fn an_argument_may_become_nullable_but_not_non_null() {
        assert_eq!(
            changes(
                "type Query { a(x: Int, y: Int!): Int }",
                "type Query { a(x: Int!, y: Int): Int }"
            ),
            [
                "breaking FIELD_ARGUMENT_TYPE_CHANGED:Query.a.x",
                "safe FIELD_ARGUMENT_TYPE_CHANGED:Query.a.y"
            ]
        );
        assert_eq!(
            changes(
                "type Query { a(x: [Int]): Int }",
                "type Query { a(x: Int): Int }"
            ),
            ["breaking FIELD_ARGUMENT_TYPE_CHANGED:Query.a.x"]
        );
    }

    #[test]
    fn changing_a_default_is_dangerous() {
        assert_eq!(
            changes(
                "type Query { a(x: Int = 1): Int }",
                "type Query { a(x: Int = 2): Int }"
            ),
            ["dangerous FIELD_ARGUMENT_DEFAULT_CHANGED:Query.a.x"]
        );
        assert_eq!(
            changes(
                "type Query { a: Int } input I { x: Int = 1 }",
                "type Query { a: Int } input I { x: Int }"
            ),
            ["dangerous INPUT_FIELD_DEFAULT_VALUE_CHANGED:I.x"]
        );
    }

    #[test]
    fn input_fields_follow_the_argument_rules() {
        assert_eq!(
            changes(
                "type Query { a: Int } input I { gone: Int loose: Int! strict: Int }",
                "type Query { a: Int } input I { loose: Int strict: Int! required: ID! optional: ID }"
            ),
            [
                "breaking INPUT_FIELD_ADDED:I.required",
                "breaking INPUT_FIELD_REMOVED:I.gone",
                "breaking INPUT_FIELD_TYPE_CHANGED:I.strict",
                "dangerous INPUT_FIELD_ADDED:I.optional",
                "safe INPUT_FIELD_TYPE_CHANGED:I.loose"
            ]
        );
    }

    #[test]
    fn removing_an_enum_value_breaks_and_adding_one_is_dangerous() {
        assert_eq!(
            changes(
                "type Query { a: E } enum E { A B }",
                "type Query { a: E } enum E { A C }"
            ),
            [
                "breaking ENUM_VALUE_REMOVED:E.B",
                "dangerous ENUM_VALUE_ADDED:E.C"
            ]
        );
    }

    #[test]
    fn removing_a_union_member_breaks_and_adding_one_is_dangerous() {
        assert_eq!(
            changes(
                "type Query { a: U } type A { a: Int } type B { a: Int } type C { a: Int } union U = A | B",
                "type Query { a: U } type A { a: Int } type B { a: Int } type C { a: Int } union U = A | C"
            ),
            [
                "breaking UNION_MEMBER_REMOVED:U.B",
                "dangerous UNION_MEMBER_ADDED:U.C"
            ]
        );
    }

    #[test]
    fn removing_an_interface_breaks_and_adding_one_is_dangerous() {
        assert_eq!(
            changes(
                "type Query { a: T } interface I { a: Int } interface J { a: Int } type T implements I { a: Int }",
                "type Query { a: T } interface I { a: Int } interface J { a: Int } type T implements J { a: Int }"
            ),
            [
                "breaking OBJECT_TYPE_INTERFACE_REMOVED:T.I",
                "dangerous OBJECT_TYPE_INTERFACE_ADDED:T.J"
            ]
        );
    }

    #[test]
    fn deprecations_are_safe() {
        assert_eq!(
            changes(
                "type Query { a: Int b: Int @deprecated c: E } enum E { A B @deprecated }",
                "type Query { a: Int @deprecated(reason: \"use b\") b: Int c: E } enum E { A @deprecated B }"
            ),
            [
                "safe FIELD_DEPRECATION_ADDED:Query.a",
                "safe FIELD_DEPRECATION_REMOVED:Query.b",
                "safe ENUM_VALUE_DEPRECATION_ADDED:E.A",
                "safe ENUM_VALUE_DEPRECATION_REMOVED:E.B"
            ]
        );
    }

    #[test]
    fn removing_a_directive_or_one_of_its_locations_breaks() {
        assert_eq!(
            changes(
                "type Query { a: Int } directive @a on FIELD directive @b(x: Int) on FIELD | FRAGMENT_SPREAD",
                "type Query { a: Int } directive @b(x: Int, y: Int!) on FIELD directive @c on FIELD"
            ),
            [
                "breaking DIRECTIVE_REMOVED:@a",
                "breaking DIRECTIVE_LOCATION_REMOVED:@b.FRAGMENT_SPREAD",
                "breaking DIRECTIVE_ARGUMENT_ADDED:@b.y",
                "safe DIRECTIVE_ADDED:@c"
            ]
        );
    }
}
