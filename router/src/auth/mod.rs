//! Authorization directives of the supergraph (`@authenticated`, `@requiresScopes`, `@policy`)
//! enforced on each request, and the JWT authentication that tells who is asking ([`jwt`]).
//!
//! A prepared operation lists its guarded field selections once ([`guards`]). Per request, the
//! selections the caller may not see are the denied set: in `filter` mode the operation is
//! planned without them (subgraphs are never asked for them) and they read as null with an
//! `UNAUTHORIZED_FIELD_OR_TYPE` error; in `reject` mode the request is refused.

pub mod jwt;

use std::collections::{HashMap, HashSet};

use graphql_tools::parser::Pos;
use graphql_tools::parser::query::{self as q, Definition, Selection};
use graphql_tools::parser::schema::{self as ast, TypeDefinition};

use crate::schema::SchemaIndex;

/// Who is asking: what the request's token proved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthContext {
    pub authenticated: bool,
    pub scopes: HashSet<String>,
    /// When the router stops accepting the token (its `exp` plus the leeway): a
    /// subscription it opened ends then. `None` without a token.
    pub expires_at: Option<std::time::SystemTime>,
    /// The verified token's claims (its `sub`, and what rate-limit tiers are read from).
    pub claims: Option<std::sync::Arc<serde_json::Value>>,
}

/// What selecting a field takes. Requirements combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirement {
    authenticated: bool,
    /// One entry per `@requiresScopes`: met when every scope of one of its lists is granted.
    scopes: Vec<Vec<Vec<String>>>,
    /// `@policy`: the router has no policy engine, so a policy is never met (fail closed).
    policy: bool,
}

impl Requirement {
    fn is_empty(&self) -> bool {
        !self.authenticated && self.scopes.is_empty() && !self.policy
    }

    fn add(&mut self, other: &Requirement) {
        self.authenticated |= other.authenticated;
        self.policy |= other.policy;
        for alternatives in &other.scopes {
            if !self.scopes.contains(alternatives) {
                self.scopes.push(alternatives.clone());
            }
        }
    }

    pub fn allows(&self, context: &AuthContext) -> bool {
        !self.policy
            && (!self.authenticated || context.authenticated)
            && self.scopes.iter().all(|alternatives| {
                alternatives
                    .iter()
                    .any(|all| all.iter().all(|scope| context.scopes.contains(scope)))
            })
    }
}

/// The supergraph's authorization directives, by type and by field.
#[derive(Debug, Default)]
pub struct AuthRules {
    types: HashMap<String, Requirement>,
    fields: HashMap<(String, String), Requirement>,
}

/// The directive names a supergraph uses, from its `@link`s to the specs
/// (`@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "auth")` names it `@auth`).
/// A spec the supergraph does not link has no name: a directive of its own that happens to be
/// called `@policy` is not the spec's.
#[derive(Default)]
struct DirectiveNames {
    authenticated: Option<String>,
    requires_scopes: Option<String>,
    policy: Option<String>,
}

impl DirectiveNames {
    fn of(document: &ast::Document<'static, String>) -> Self {
        let mut names = DirectiveNames::default();
        let links = document.definitions.iter().flat_map(|d| match d {
            ast::Definition::SchemaDefinition(s) => s.directives.iter(),
            _ => [].iter(),
        });
        for link in links.filter(|d| d.name == "link") {
            let argument = |name: &str| {
                link.arguments.iter().find_map(|(n, v)| match v {
                    q::Value::String(s) if n == name => Some(s.clone()),
                    _ => None,
                })
            };
            let Some(url) = argument("url") else { continue };
            let Some(path) = url.split("specs.apollo.dev/").nth(1) else {
                continue;
            };
            let spec = path.split('/').next().unwrap_or_default();
            let name = Some(argument("as").unwrap_or_else(|| spec.to_string()));
            match spec {
                "authenticated" => names.authenticated = name,
                "requiresScopes" => names.requires_scopes = name,
                "policy" => names.policy = name,
                _ => {}
            }
        }
        names
    }

    fn is(name: &Option<String>, directive: &str) -> bool {
        name.as_deref() == Some(directive)
    }

    fn requirement(&self, directives: &[ast::Directive<'static, String>]) -> Requirement {
        let mut requirement = Requirement::default();
        for directive in directives {
            if Self::is(&self.authenticated, &directive.name) {
                requirement.authenticated = true;
            } else if Self::is(&self.requires_scopes, &directive.name) {
                let scopes = directive
                    .arguments
                    .iter()
                    .find(|(name, _)| name == "scopes")
                    .map(|(_, value)| string_lists(value))
                    .unwrap_or_default();
                requirement.scopes.push(scopes);
            } else if Self::is(&self.policy, &directive.name) {
                requirement.policy = true;
            }
        }
        requirement
    }
}

/// `[["a", "b"], ["c"]]` as lists of strings (a single string or list is coerced, as on input).
fn string_lists(value: &q::Value<'static, String>) -> Vec<Vec<String>> {
    fn strings(value: &q::Value<'static, String>) -> Vec<String> {
        match value {
            q::Value::List(items) => items.iter().flat_map(strings).collect(),
            q::Value::String(s) | q::Value::Enum(s) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
    match value {
        q::Value::List(items) if items.iter().any(|i| matches!(i, q::Value::List(_))) => {
            items.iter().map(strings).collect()
        }
        other => vec![strings(other)],
    }
}

impl AuthRules {
    pub fn from_supergraph(document: &ast::Document<'static, String>) -> Self {
        let names = DirectiveNames::of(document);
        let mut rules = AuthRules::default();
        for definition in &document.definitions {
            let ast::Definition::TypeDefinition(definition) = definition else {
                continue;
            };
            let (name, directives, fields) = match definition {
                TypeDefinition::Object(o) => (&o.name, &o.directives, &o.fields[..]),
                TypeDefinition::Interface(i) => (&i.name, &i.directives, &i.fields[..]),
                TypeDefinition::Scalar(s) => (&s.name, &s.directives, &[][..]),
                TypeDefinition::Enum(e) => (&e.name, &e.directives, &[][..]),
                TypeDefinition::Union(u) => (&u.name, &u.directives, &[][..]),
                TypeDefinition::InputObject(_) => continue,
            };
            let requirement = names.requirement(directives);
            if !requirement.is_empty() {
                rules.types.insert(name.clone(), requirement);
            }
            for field in fields {
                let requirement = names.requirement(&field.directives);
                if !requirement.is_empty() {
                    rules
                        .fields
                        .insert((name.clone(), field.name.clone()), requirement);
                }
            }
        }
        rules
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty() && self.fields.is_empty()
    }

    /// What selecting `field` on `parent` takes: the field's own directives, its parent's and
    /// its type's. Through an abstract type, every possible type counts: the value may be any
    /// of them.
    fn field_requirement(&self, schema: &SchemaIndex, parent: &str, field: &str) -> Requirement {
        let mut requirement = Requirement::default();
        let add_type = |requirement: &mut Requirement, name: &str| {
            if let Some(r) = self.types.get(name) {
                requirement.add(r);
            }
            for possible in schema.get(name).map_or(&[][..], |t| &t.possible_types[..]) {
                if let Some(r) = self.types.get(possible) {
                    requirement.add(r);
                }
            }
        };
        add_type(&mut requirement, parent);
        let parents = std::iter::once(parent).chain(
            schema
                .get(parent)
                .map_or(&[][..], |t| &t.possible_types[..])
                .iter()
                .map(String::as_str),
        );
        for owner in parents {
            if let Some(r) = self.fields.get(&(owner.to_string(), field.to_string())) {
                requirement.add(r);
            }
        }
        if let Some(def) = schema.field(parent, field) {
            add_type(&mut requirement, def.ty.named());
        }
        requirement
    }
}

/// A field selection that not everyone may make.
#[derive(Debug, Clone)]
pub struct Guard {
    pub position: Pos,
    pub name: String,
    pub requirement: Requirement,
}

/// The guarded field selections of an operation (its own and those of the fragments it uses).
pub fn guards(
    rules: &AuthRules,
    schema: &SchemaIndex,
    document: &q::Document<'static, String>,
    selection_set: &q::SelectionSet<'static, String>,
    root_type: &str,
) -> Vec<Guard> {
    struct Walk<'d> {
        rules: &'d AuthRules,
        schema: &'d SchemaIndex,
        fragments: crate::ast::Fragments<'d>,
        visited: HashSet<&'d str>,
        guards: Vec<Guard>,
    }
    impl<'d> Walk<'d> {
        fn set(&mut self, set: &'d q::SelectionSet<'static, String>, parent: &str) {
            for selection in &set.items {
                match selection {
                    Selection::Field(field) => {
                        if field.name.starts_with("__") {
                            continue;
                        }
                        let requirement =
                            self.rules
                                .field_requirement(self.schema, parent, &field.name);
                        if !requirement.is_empty() {
                            self.guards.push(Guard {
                                position: field.position,
                                name: format!("{parent}.{}", field.name),
                                requirement,
                            });
                        }
                        if let Some(def) = self.schema.field(parent, &field.name) {
                            let ty = def.ty.named().to_string();
                            self.set(&field.selection_set, &ty);
                        }
                    }
                    Selection::InlineFragment(inline) => match &inline.type_condition {
                        Some(q::TypeCondition::On(condition)) => {
                            self.set(&inline.selection_set, condition);
                        }
                        None => self.set(&inline.selection_set, parent),
                    },
                    Selection::FragmentSpread(spread) => {
                        let name = spread.fragment_name.as_str();
                        if !self.visited.insert(name) {
                            continue;
                        }
                        if let Some(fragment) = self.fragments.get(name) {
                            let q::TypeCondition::On(condition) = &fragment.type_condition;
                            self.set(&fragment.selection_set, condition);
                        }
                    }
                }
            }
        }
    }
    if rules.is_empty() {
        return Vec::new();
    }
    let mut walk = Walk {
        rules,
        schema,
        fragments: crate::ast::fragments(document),
        visited: HashSet::new(),
        guards: Vec::new(),
    };
    walk.set(selection_set, root_type);
    walk.guards
}

/// Removes the denied field selections from a planning document. A selection set left empty
/// selects `__typename` instead, so its parent still resolves (its denied fields read as null).
pub fn prune_denied(document: &mut q::Document<'static, String>, denied: &HashSet<Pos>) {
    fn prune(set: &mut q::SelectionSet<'static, String>, denied: &HashSet<Pos>) {
        let before = set.items.len();
        set.items.retain_mut(|selection| match selection {
            Selection::Field(field) => {
                if denied.contains(&field.position) {
                    return false;
                }
                prune(&mut field.selection_set, denied);
                true
            }
            Selection::InlineFragment(inline) => {
                prune(&mut inline.selection_set, denied);
                true
            }
            Selection::FragmentSpread(_) => true,
        });
        if set.items.is_empty() && before > 0 {
            set.items.push(crate::ast::typename_selection(set.span));
        }
    }
    for definition in &mut document.definitions {
        match definition {
            Definition::Operation(op) => prune(crate::ast::selection_set_mut(op), denied),
            Definition::Fragment(f) => prune(&mut f.selection_set, denied),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUPERGRAPH: &str = r#"
        schema
          @link(url: "https://specs.apollo.dev/link/v1.0")
          @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)
          @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", as: "scopes", for: SECURITY)
        { query: Query }
        type Query { me: User @authenticated  posts: [Post] node: Node }
        interface Node { id: ID! }
        type User implements Node { id: ID! email: String @scopes(scopes: [["read:email"], ["admin"]]) }
        type Post implements Node { id: ID! @authenticated title: String draft: Draft }
        type Draft @authenticated { text: String }
        "A directive of the schema's own, not the unlinked policy spec's."
        type Note @policy { text: String }
        directive @policy on OBJECT
    "#;

    fn rules() -> (AuthRules, SchemaIndex) {
        let document = ast::parse_schema::<String>(SUPERGRAPH)
            .unwrap()
            .into_static();
        (
            AuthRules::from_supergraph(&document),
            SchemaIndex::build(&document),
        )
    }

    fn context(authenticated: bool, scopes: &[&str]) -> AuthContext {
        AuthContext {
            authenticated,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..AuthContext::default()
        }
    }

    #[test]
    fn field_type_and_renamed_directives_make_requirements() {
        let (rules, schema) = rules();
        let me = rules.field_requirement(&schema, "Query", "me");
        assert!(!me.allows(&context(false, &[])));
        assert!(me.allows(&context(true, &[])));
        // A field returning an @authenticated type needs authentication too.
        let draft = rules.field_requirement(&schema, "Post", "draft");
        assert!(!draft.allows(&context(false, &[])));
        let email = rules.field_requirement(&schema, "User", "email");
        assert!(!email.allows(&context(true, &["write:email"])));
        assert!(email.allows(&context(true, &["read:email"])));
        assert!(email.allows(&context(true, &["admin", "other"])));
        assert!(rules.field_requirement(&schema, "Post", "title").is_empty());
        assert!(!rules.types.contains_key("Note"));
        // Through an interface, an implementation's guarded field guards the interface's.
        assert!(
            !rules
                .field_requirement(&schema, "Node", "id")
                .allows(&context(false, &[]))
        );
        assert!(rules.field_requirement(&schema, "User", "id").is_empty());
    }

    #[test]
    fn guards_cover_fragments_once_and_skip_meta_fields() {
        let (rules, schema) = rules();
        let document = q::parse_query::<String>(
            "query { __typename me { id ...U } posts { title draft { text } } }
             fragment U on User { email }",
        )
        .unwrap()
        .into_static();
        let Definition::Operation(q::OperationDefinition::Query(op)) = &document.definitions[0]
        else {
            panic!("a query");
        };
        let names: Vec<String> = guards(&rules, &schema, &document, &op.selection_set, "Query")
            .into_iter()
            .map(|g| g.name)
            .collect();
        // Fields of an @authenticated type are guarded too (their parent may be reached some other way).
        assert_eq!(
            names,
            ["Query.me", "User.email", "Post.draft", "Draft.text"]
        );
    }

    #[test]
    fn pruning_keeps_parents_whose_fields_are_all_denied() {
        let mut document = q::parse_query::<String>("{ posts { draft { text } } }")
            .unwrap()
            .into_static();
        let Definition::Operation(q::OperationDefinition::SelectionSet(set)) =
            &document.definitions[0]
        else {
            panic!("a selection set");
        };
        let Selection::Field(posts) = &set.items[0] else {
            panic!("a field")
        };
        let Selection::Field(draft) = &posts.selection_set.items[0] else {
            panic!("a field")
        };
        let denied = HashSet::from([draft.position]);
        prune_denied(&mut document, &denied);
        let pruned = document.to_string();
        assert!(pruned.contains("posts {\n    __typename"), "{pruned}");
        assert!(!pruned.contains("draft"), "{pruned}");
    }
}
