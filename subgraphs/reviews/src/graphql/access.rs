//! Who may do what: anyone reads approved reviews; a signed-in customer submits reviews as
//! themself and sees their own in moderation; staff with `reviews:moderate` moderate and see
//! every review. The viewer comes verified from the HTTP layer (kernel `server`).

use async_graphql::Context;
use commerce_kernel::ClientResultExt;
use commerce_kernel::viewer::{Permission, Viewer};

use crate::domain::{ModerationStatus, Review};

pub const REVIEWS_MODERATE: Permission = "reviews:moderate";

/// Requests without a viewer (executed in-process, not over HTTP) are anonymous.
static ANONYMOUS: Viewer = Viewer::Anonymous;

fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
}

/// The guard of moderation and of the moderation queue.
pub fn require_moderator(ctx: &Context<'_>) -> async_graphql::Result<()> {
    viewer(ctx).require_permission(REVIEWS_MODERATE).or_client()
}

/// The signed-in customer's id: reviews are always written as the viewer.
pub fn require_customer(ctx: &Context<'_>) -> async_graphql::Result<String> {
    viewer(ctx)
        .require_customer()
        .map(str::to_owned)
        .or_client()
}

/// Approved reviews are public; others only for moderators and their author.
pub fn may_see(ctx: &Context<'_>, review: &Review) -> bool {
    let viewer = viewer(ctx);
    review.status == ModerationStatus::Approved
        || viewer.customer_id() == Some(review.author_id.as_str())
        || viewer.require_permission(REVIEWS_MODERATE).is_ok()
}
