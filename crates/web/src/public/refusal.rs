//! A refused public request as a page: the resident's words for each refusal, and a header
//! that leads back to their form.

use axum::http::StatusCode;
use doorstep_app::reports::PublicError;

use crate::i18n::T;
use crate::pages::{Nav, PageError};

/// A refusal as a page whose header leads back to the form (`home`), or nowhere when the link
/// itself is unknown or closed.
pub(super) fn page_error(
    e: PublicError,
    t: T,
    ctx: &doorstep_app::access::Ctx,
    home: &str,
) -> PageError {
    let home = match e {
        PublicError::NotFound | PublicError::Closed => "",
        _ => home,
    };
    public_error_page(e, t, ctx).with_nav(&Nav::resident(home, home))
}

fn public_error_page(e: PublicError, t: T, ctx: &doorstep_app::access::Ctx) -> PageError {
    let l = t.0;
    match e {
        PublicError::NotFound => PageError::new(
            StatusCode::NOT_FOUND,
            t,
            l.pick("二维码无效，请向社区核实", "this code is not valid; ask your community"),
            ctx,
        ),
        PublicError::Closed => PageError::new(
            StatusCode::GONE,
            t,
            l.pick(
                "此报备二维码已停用或过期，请向社区索取新的二维码",
                "this report code has been withdrawn or has expired; ask your community for a new one",
            ),
            ctx,
        ),
        PublicError::Locked => PageError::new(
            StatusCode::CONFLICT,
            t,
            l.pick("报备已不能修改", "the report can no longer be corrected"),
            ctx,
        ),
        PublicError::KeyReused => PageError::new(
            StatusCode::CONFLICT,
            t,
            l.pick(
                "这份表单已经提交过，本次内容与提交时不同，未保存。如需修改已提交的报备，请打开提交后收到的回执页；如要为另一户报备，请重新扫码填写。",
                "this form was already submitted with different content, so nothing was saved. To change the report you sent, open the receipt page you got after sending it; to report another household, scan the code again.",
            ),
            ctx,
        ),
        PublicError::Invalid(_) => PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            t,
            l.pick("填写有误", "invalid input"),
            ctx,
        ),
        PublicError::Store(e) => PageError::from_app(e.into(), t, ctx),
        PublicError::Internal(cause) => {
            PageError::from_app(doorstep_app::error::AppError::Internal(cause), t, ctx)
        }
    }
}
