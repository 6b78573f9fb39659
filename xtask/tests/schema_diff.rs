//! `schema-diff` over two fixture supergraphs: the API schema's changes (federation internals
//! and `@inaccessible` fields left out), and breaking ones failing until acknowledged.

use xtask::schema_diff::{Acknowledgements, compare};

const BASE: &str = include_str!("fixtures/schema-diff/base.graphql");
const HEAD: &str = include_str!("fixtures/schema-diff/head.graphql");

#[test]
fn reports_the_api_schema_changes_between_two_supergraphs() {
    let report = compare(BASE, HEAD, &Acknowledgements::default()).expect("both compose");
    let lines: Vec<String> = report
        .changes
        .iter()
        .map(|change| format!("{} {}", change.criticality, change.id()))
        .collect();
    assert_eq!(
        lines,
        [
            "breaking FIELD_REMOVED:Product.slug",
            "breaking INPUT_FIELD_ADDED:ProductInput.sku",
            "breaking ENUM_VALUE_REMOVED:ProductStatus.ARCHIVED",
            "dangerous FIELD_ARGUMENT_ADDED:Query.products.after",
            "dangerous FIELD_ARGUMENT_DEFAULT_CHANGED:Query.products.first",
            "dangerous ENUM_VALUE_ADDED:ProductStatus.DELETED",
            "dangerous UNION_MEMBER_ADDED:ProductResult.Hidden",
            "safe TYPE_ADDED:Hidden",
            "safe FIELD_ADDED:Product.description",
            "safe FIELD_TYPE_CHANGED:Product.rating",
        ],
        "{}",
        report.text
    );
    assert_eq!(report.unacknowledged, 3, "{}", report.text);
}

#[test]
fn acknowledged_breaking_changes_pass_with_their_reason() {
    let acks: Acknowledgements = toml::from_str(
        r#"
        [[acknowledged]]
        id = "FIELD_REMOVED:Product.slug"
        reason = "slugs moved to the storefront's routes"

        [[acknowledged]]
        id = "INPUT_FIELD_ADDED:ProductInput.sku"
        reason = "only the dashboard creates products, and it sends a sku"
        "#,
    )
    .expect("valid acknowledgements");
    let report = compare(BASE, HEAD, &acks).expect("both compose");
    assert_eq!(report.unacknowledged, 1, "{}", report.text);
    assert!(
        report
            .text
            .contains("FIELD_REMOVED:Product.slug  field `Product.slug` was removed (acknowledged: slugs moved"),
        "{}",
        report.text
    );
    assert!(
        report
            .text
            .contains("ENUM_VALUE_REMOVED:ProductStatus.ARCHIVED  enum value `ProductStatus.ARCHIVED` was removed (NOT acknowledged)"),
        "{}",
        report.text
    );
}

#[test]
fn the_committed_acknowledgements_file_is_valid() {
    let path = xtask::compose::schema_dir().join("breaking-changes.toml");
    Acknowledgements::load(&path).expect("schema/breaking-changes.toml reads");
}

#[test]
fn the_committed_supergraph_has_no_change_against_itself() {
    let supergraph = std::fs::read_to_string(xtask::compose::supergraph_path())
        .expect("supergraph is committed");
    let report = compare(&supergraph, &supergraph, &Acknowledgements::default())
        .expect("the committed supergraph has an API schema");
    assert!(report.changes.is_empty(), "{}", report.text);
}
