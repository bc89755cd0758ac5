//! Why a change clashes with what exists (HTTP 409): a stable code for programs and a message
//! for people, in both languages, written once for the API, the pages and the command line.

use std::fmt;

use crate::lang::Lang;

/// A change that cannot be made as asked, given what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// An area with this path exists.
    AreaExists,
    /// The room exists in this building or unit.
    RoomExists,
    /// The user name is taken.
    UsernameTaken,
    /// A file with this document exists.
    DocumentRegistered,
    /// The document is on file outside the user's area (naming no one).
    PersonRegisteredElsewhere,
    /// The file changed between reading and writing; read it again.
    PersonChanged,
    /// The report was decided already (by someone else).
    ReportAlreadyReviewed,
    /// That member of the report was merged already.
    ReportMemberDecided,
    /// That member of the report cannot be read as a person.
    ReportMemberInvalid,
    /// The report has no such member.
    ReportMemberUnknown,
    /// A rejection needs a reason.
    ReasonRequired,
    /// A report link is for a community or lower.
    LinkAreaTooHigh,
    /// The password is too short.
    PasswordTooShort,
    /// The user name has characters a user name may not have.
    UsernameInvalid,
    /// The idempotency key was used for another request with different content.
    IdempotencyKeyReused,
    /// The report link has expired or was revoked.
    ReportLinkClosed,
    /// The task is closed (done, cannot do or cancelled).
    TaskClosed,
    /// The task was moved by someone else meanwhile.
    TaskChanged,
    /// The person was sampled in this round already (not marked as a retest).
    AlreadySampled,
    /// The tube holds its pool size already.
    TubeFull,
    /// The tube was closed.
    TubeClosed,
    /// The tube code was used in another round.
    TubeInOtherRound,
    /// The tube is filled another way than this person is sampled (single-tube, pooled, one
    /// tube per household).
    TubeMode,
    /// The tube is another household's (one tube per household).
    TubeOtherHousehold,
    /// The person is already under this measure on some of those days.
    EpisodeOverlap,
    /// The episode was transferred or released: it changes no more.
    EpisodeNotActive,
    /// A last day before the episode's start day.
    EpisodeBeforeStart,
    /// Shortened to a last day before today.
    EpisodeShortenPast,
    /// The new last day is the last day already.
    EpisodeUnchanged,
    /// The release checklist has unmet items (or the end is not reached) and no reason.
    ReleaseUnmet,
    /// A new version of the policy was saved since the one edited was read (or a new
    /// policy's key is taken): read it again.
    PolicyChanged,
    /// The area is sealed already (one active seal per area).
    AreaSealed,
    /// The community is in emergency mode already (one running emergency per community).
    EmergencyRunning,
    /// The emergency has ended: its task forces no longer change.
    EmergencyEnded,
    /// The round is not open for sampling.
    RoundNotOpen,
    /// The round cannot move to that state (a closed round is not planned again).
    RoundStatus,
    /// The tube is still open: close it before it goes into a box.
    TubeOpen,
    /// The tube is in a box already.
    TubeBoxed,
    /// The box is sealed (or further): nothing goes in or out.
    BoxClosed,
    /// The box cannot make that move from where it stands.
    BoxStatus,
    /// An empty box cannot be sealed.
    BoxEmpty,
    /// The box code was used in another round.
    BoxInOtherRound,
    /// The lab's count differs from the seal's and no note says why.
    CountMismatch,
    /// The tube has a different result already.
    ResultRecorded,
    /// The round has a sampling point of this name already.
    PointNameTaken,
    /// The area has a checkpoint of this name already.
    CheckpointNameTaken,
    /// An investigation list is not in the state this needs (mapped already, not yet mapped,
    /// or closed).
    ListStatus,
    /// The area has a template of this name already.
    TemplateNameTaken,
    /// A built-in template is not changed or deleted (save a copy instead).
    TemplateBuiltIn,
    /// A rule of the stored data this list does not name (its code is the rule's name).
    Other(String),
}

impl Conflict {
    /// The conflict a store's broken rule (its constraint or code) stands for.
    pub fn from_code(code: &str) -> Conflict {
        match code {
            "area_path_unique" => Conflict::AreaExists,
            "household_room_unique" => Conflict::RoomExists,
            "user_username_unique" => Conflict::UsernameTaken,
            "person_document_unique" => Conflict::DocumentRegistered,
            "person_registered_elsewhere" => Conflict::PersonRegisteredElsewhere,
            "person_changed" => Conflict::PersonChanged,
            "report_already_reviewed" => Conflict::ReportAlreadyReviewed,
            "report_member_decided" => Conflict::ReportMemberDecided,
            "report_member_invalid" => Conflict::ReportMemberInvalid,
            "report_member_unknown" => Conflict::ReportMemberUnknown,
            "reason_required" => Conflict::ReasonRequired,
            "link_area_too_high" => Conflict::LinkAreaTooHigh,
            "password_too_short" => Conflict::PasswordTooShort,
            "username_invalid" => Conflict::UsernameInvalid,
            "idempotency_key_reused" => Conflict::IdempotencyKeyReused,
            "report_link_closed" => Conflict::ReportLinkClosed,
            "task_closed" => Conflict::TaskClosed,
            "task_changed" => Conflict::TaskChanged,
            "already_sampled" => Conflict::AlreadySampled,
            "tube_full" => Conflict::TubeFull,
            "tube_closed" => Conflict::TubeClosed,
            "tube_in_other_round" => Conflict::TubeInOtherRound,
            "tube_mode" => Conflict::TubeMode,
            "tube_other_household" => Conflict::TubeOtherHousehold,
            "episode_overlap" => Conflict::EpisodeOverlap,
            "episode_not_active" => Conflict::EpisodeNotActive,
            "episode_before_start" => Conflict::EpisodeBeforeStart,
            "episode_shorten_past" => Conflict::EpisodeShortenPast,
            "episode_unchanged" => Conflict::EpisodeUnchanged,
            "release_checklist_unmet" => Conflict::ReleaseUnmet,
            "policy_changed" => Conflict::PolicyChanged,
            "area_sealed" => Conflict::AreaSealed,
            "emergency_running" => Conflict::EmergencyRunning,
            "emergency_ended" => Conflict::EmergencyEnded,
            "round_not_open" => Conflict::RoundNotOpen,
            "round_status" => Conflict::RoundStatus,
            "count_mismatch" => Conflict::CountMismatch,
            "result_recorded" => Conflict::ResultRecorded,
            "tube_open" => Conflict::TubeOpen,
            "tube_boxed" => Conflict::TubeBoxed,
            "box_closed" => Conflict::BoxClosed,
            "box_status" => Conflict::BoxStatus,
            "box_empty" => Conflict::BoxEmpty,
            "box_in_other_round" => Conflict::BoxInOtherRound,
            "point_name_unique" => Conflict::PointNameTaken,
            "checkpoint_name_unique" => Conflict::CheckpointNameTaken,
            "list_status" => Conflict::ListStatus,
            "template_name_unique" => Conflict::TemplateNameTaken,
            "template_built_in" => Conflict::TemplateBuiltIn,
            other => Conflict::Other(other.to_string()),
        }
    }

    /// The stable snake_case code (the API's `error`).
    pub fn code(&self) -> &str {
        match self {
            Conflict::AreaExists => "area_path_unique",
            Conflict::RoomExists => "household_room_unique",
            Conflict::UsernameTaken => "user_username_unique",
            Conflict::DocumentRegistered => "person_document_unique",
            Conflict::PersonRegisteredElsewhere => "person_registered_elsewhere",
            Conflict::PersonChanged => "person_changed",
            Conflict::ReportAlreadyReviewed => "report_already_reviewed",
            Conflict::ReportMemberDecided => "report_member_decided",
            Conflict::ReportMemberInvalid => "report_member_invalid",
            Conflict::ReportMemberUnknown => "report_member_unknown",
            Conflict::ReasonRequired => "reason_required",
            Conflict::LinkAreaTooHigh => "link_area_too_high",
            Conflict::PasswordTooShort => "password_too_short",
            Conflict::UsernameInvalid => "username_invalid",
            Conflict::IdempotencyKeyReused => "idempotency_key_reused",
            Conflict::ReportLinkClosed => "report_link_closed",
            Conflict::TaskClosed => "task_closed",
            Conflict::TaskChanged => "task_changed",
            Conflict::AlreadySampled => "already_sampled",
            Conflict::TubeFull => "tube_full",
            Conflict::TubeClosed => "tube_closed",
            Conflict::TubeInOtherRound => "tube_in_other_round",
            Conflict::TubeMode => "tube_mode",
            Conflict::TubeOtherHousehold => "tube_other_household",
            Conflict::EpisodeOverlap => "episode_overlap",
            Conflict::EpisodeNotActive => "episode_not_active",
            Conflict::EpisodeBeforeStart => "episode_before_start",
            Conflict::EpisodeShortenPast => "episode_shorten_past",
            Conflict::EpisodeUnchanged => "episode_unchanged",
            Conflict::ReleaseUnmet => "release_checklist_unmet",
            Conflict::PolicyChanged => "policy_changed",
            Conflict::AreaSealed => "area_sealed",
            Conflict::EmergencyRunning => "emergency_running",
            Conflict::EmergencyEnded => "emergency_ended",
            Conflict::RoundNotOpen => "round_not_open",
            Conflict::RoundStatus => "round_status",
            Conflict::CountMismatch => "count_mismatch",
            Conflict::ResultRecorded => "result_recorded",
            Conflict::TubeOpen => "tube_open",
            Conflict::TubeBoxed => "tube_boxed",
            Conflict::BoxClosed => "box_closed",
            Conflict::BoxStatus => "box_status",
            Conflict::BoxEmpty => "box_empty",
            Conflict::BoxInOtherRound => "box_in_other_round",
            Conflict::PointNameTaken => "point_name_unique",
            Conflict::CheckpointNameTaken => "checkpoint_name_unique",
            Conflict::ListStatus => "list_status",
            Conflict::TemplateNameTaken => "template_name_unique",
            Conflict::TemplateBuiltIn => "template_built_in",
            Conflict::Other(code) => code,
        }
    }

    /// The message a person reads.
    pub fn message(&self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Conflict::AreaExists => ("该区域已存在", "this area exists already"),
            Conflict::RoomExists => ("该房号已存在", "this room exists already"),
            Conflict::UsernameTaken => ("用户名已存在", "this user name is taken"),
            Conflict::DocumentRegistered => (
                "该证件号码已有档案",
                "a file with this document exists already",
            ),
            Conflict::PersonRegisteredElsewhere => (
                "该证件已登记在您负责的区域以外，不能在此添加或修改；请联系社区核实",
                "this document is registered outside your area and cannot be added or changed here; ask the community office",
            ),
            Conflict::PersonChanged => (
                "档案刚被他人修改，请刷新后重试",
                "the file was changed meanwhile; reload and try again",
            ),
            Conflict::ReportAlreadyReviewed => (
                "该报备已由他人审核",
                "this report has been reviewed already",
            ),
            Conflict::ReportMemberDecided => {
                ("该成员已处理", "this member has been dealt with already")
            }
            Conflict::ReportMemberInvalid => (
                "该成员信息有误，无法合并，请驳回后让居民重报",
                "this member's data is invalid and cannot be merged; reject the report so the household reports again",
            ),
            Conflict::ReportMemberUnknown => {
                ("报备中没有这个成员", "the report has no such member")
            }
            Conflict::ReasonRequired => ("请填写驳回原因", "a reason is required"),
            Conflict::LinkAreaTooHigh => (
                "报备二维码应建在社区、小区或楼栋",
                "a report link is for a community, compound or building",
            ),
            Conflict::PasswordTooShort => (
                "密码至少 8 位",
                "the password must have at least 8 characters",
            ),
            Conflict::UsernameInvalid => (
                "用户名只能用 2–32 个字母、数字、_ - .",
                "a user name is 2–32 letters, digits, _ - or .",
            ),
            Conflict::IdempotencyKeyReused => (
                "此请求编号已用于另一份内容不同的提交；新的提交请用新的编号",
                "this idempotency key was used for different content; send new content with a new key",
            ),
            Conflict::ReportLinkClosed => (
                "该报备二维码已过期或已停用",
                "this report link has expired or was revoked",
            ),
            Conflict::TaskClosed => (
                "该任务已结束，不能再更改；如需再做，请新建任务",
                "this task is closed and cannot change; make a new task to do it again",
            ),
            Conflict::TaskChanged => (
                "该任务刚被他人更新，请刷新后重试",
                "someone else changed this task meanwhile; reload and try again",
            ),
            Conflict::AlreadySampled => (
                "此人本轮已采样；如需复采，请勾选“复采”",
                "this person was sampled in this round already; tick 'retest' to sample again",
            ),
            Conflict::TubeFull => (
                "该试管已满，请换新试管",
                "this tube is full; take a new tube",
            ),
            Conflict::TubeClosed => (
                "该试管已封管，请换新试管",
                "this tube was closed; take a new tube",
            ),
            Conflict::TubeInOtherRound => (
                "该试管码已在其他轮次使用，请换新试管",
                "this tube code was used in another round; take a new tube",
            ),
            Conflict::TubeMode => (
                "此人的采样方式与该试管不符（单采、混采或一户一管），请换对应的试管",
                "this person is sampled another way than this tube (single, pooled or one per household); take a tube of their kind",
            ),
            Conflict::EpisodeOverlap => (
                "此人在这些日期已处于同一措施之下，不能重复开始",
                "this person is already under this measure on some of those days",
            ),
            Conflict::EpisodeNotActive => (
                "该隔离（监测）已转出或已解除，不能再更改",
                "this episode was transferred or released and changes no more",
            ),
            Conflict::EpisodeBeforeStart => (
                "最后一天不能早于开始日期",
                "the last day cannot be before the start day",
            ),
            Conflict::EpisodeShortenPast => (
                "不能缩短到今天以前",
                "an episode cannot be shortened to before today",
            ),
            Conflict::EpisodeUnchanged => (
                "新的最后一天与原来相同",
                "the new last day is the last day already",
            ),
            Conflict::ReleaseUnmet => (
                "解除条件未全部满足（或未到期），请填写原因",
                "the release checklist is not all met (or the end is not reached); give a reason",
            ),
            Conflict::PolicyChanged => (
                "该政策刚有人保存了新版本（或代码已被占用），请刷新后重新编辑",
                "someone saved a new version of this policy meanwhile (or the key is taken); reload and edit again",
            ),
            Conflict::TubeOtherHousehold => (
                "该试管是另一户的一户一管，请换新试管",
                "this tube holds another household's samples (one tube per household); take a new tube",
            ),
            Conflict::AreaSealed => ("该区域已在封控中", "this area is sealed already"),
            Conflict::EmergencyRunning => (
                "该社区已处于应急状态",
                "this community is in emergency mode already",
            ),
            Conflict::EmergencyEnded => (
                "该次应急已结束，工作专班不能再调整",
                "this emergency has ended: its task forces no longer change",
            ),
            Conflict::RoundNotOpen => (
                "本轮检测未开始或已结束，不能采样",
                "this round is not open for sampling",
            ),
            Conflict::RoundStatus => (
                "本轮检测当前状态下不能这样操作",
                "the round cannot make that move from where it stands",
            ),
            Conflict::TubeOpen => (
                "该试管尚未封管，请先封管再装箱",
                "this tube is still open; close it before boxing it",
            ),
            Conflict::TubeBoxed => (
                "该试管已装入其他转运箱",
                "this tube is in another box already",
            ),
            Conflict::BoxClosed => (
                "该转运箱已封箱，不能再装入或取出",
                "this box is sealed; nothing goes in or out",
            ),
            Conflict::BoxStatus => (
                "该转运箱当前状态下不能这样操作",
                "the box cannot make that move from where it stands",
            ),
            Conflict::BoxEmpty => ("空箱不能封箱", "an empty box cannot be sealed"),
            Conflict::BoxInOtherRound => (
                "该转运箱码已在其他轮次使用",
                "this box code was used in another round",
            ),
            Conflict::PointNameTaken => (
                "本轮已有同名采样点",
                "this round has a sampling point of this name already",
            ),
            Conflict::CheckpointNameTaken => (
                "该小区已有同名卡口",
                "this area has a checkpoint of this name already",
            ),
            Conflict::TemplateNameTaken => (
                "本区域已有同名模板",
                "this area has a template of that name already",
            ),
            Conflict::TemplateBuiltIn => (
                "内置模板不能修改或删除，可另存一份再改",
                "a built-in template is not changed or deleted; save a copy and change that",
            ),
            Conflict::ListStatus => (
                "名单当前状态不允许此操作（已对应列、尚未对应列或已关闭）",
                "the list's state does not allow this (already mapped, not mapped yet, or closed)",
            ),
            Conflict::CountMismatch => (
                "接收试管数与封箱数不符，请填写差异说明",
                "the count differs from the sealed count; write a note saying why",
            ),
            Conflict::ResultRecorded => (
                "该试管已有不同的检测结果，不能覆盖",
                "this tube has a different result already; it is not overwritten",
            ),
            Conflict::Other(_) => ("与已有数据冲突", "this clashes with what is stored"),
        };
        lang.pick(zh, en)
    }
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_every_conflict_has_both_texts() {
        let all = [
            Conflict::AreaExists,
            Conflict::RoomExists,
            Conflict::UsernameTaken,
            Conflict::DocumentRegistered,
            Conflict::PersonRegisteredElsewhere,
            Conflict::PersonChanged,
            Conflict::ReportAlreadyReviewed,
            Conflict::ReportMemberDecided,
            Conflict::ReportMemberInvalid,
            Conflict::ReportMemberUnknown,
            Conflict::ReasonRequired,
            Conflict::LinkAreaTooHigh,
            Conflict::PasswordTooShort,
            Conflict::UsernameInvalid,
            Conflict::IdempotencyKeyReused,
            Conflict::ReportLinkClosed,
            Conflict::TaskClosed,
            Conflict::TaskChanged,
            Conflict::AlreadySampled,
            Conflict::TubeFull,
            Conflict::TubeClosed,
            Conflict::TubeInOtherRound,
            Conflict::TubeMode,
            Conflict::TubeOtherHousehold,
            Conflict::EpisodeOverlap,
            Conflict::EpisodeNotActive,
            Conflict::EpisodeBeforeStart,
            Conflict::EpisodeShortenPast,
            Conflict::EpisodeUnchanged,
            Conflict::ReleaseUnmet,
            Conflict::PolicyChanged,
            Conflict::AreaSealed,
            Conflict::EmergencyRunning,
            Conflict::EmergencyEnded,
            Conflict::RoundNotOpen,
            Conflict::RoundStatus,
            Conflict::CountMismatch,
            Conflict::ResultRecorded,
            Conflict::TubeOpen,
            Conflict::TubeBoxed,
            Conflict::BoxClosed,
            Conflict::BoxStatus,
            Conflict::BoxEmpty,
            Conflict::BoxInOtherRound,
            Conflict::ListStatus,
            Conflict::TemplateNameTaken,
            Conflict::TemplateBuiltIn,
        ];
        for c in all {
            assert_eq!(Conflict::from_code(c.code()), c);
            assert_ne!(c.message(Lang::Zh), c.message(Lang::En));
            assert!(!c.message(Lang::Zh).is_ascii(), "{c}: Chinese text");
        }
        assert_eq!(
            Conflict::from_code("some_rule"),
            Conflict::Other("some_rule".into())
        );
    }
}
