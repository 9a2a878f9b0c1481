//! What a reviewer must know beyond replacements and data: changes that
//! CloudFormation or the service refuses (the deploy would fail), or that need a
//! decision (an RDS major version upgrade).

/// What a [`Warning`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningKind {
    /// An RDS engine version lowered: RDS cannot downgrade.
    EngineDowngrade,
    /// An RDS engine major version raised: downtime, no way back but a snapshot.
    EngineMajorUpgrade,
    /// An export removed while another stack of the environment imports it.
    ExportStillImported,
    /// An export whose value changes (or may) while another stack imports it.
    ExportChangedInUse,
    /// A resource whose physical name is set and unchanged requires (or may require)
    /// replacement: CloudFormation cannot replace a custom-named resource.
    CustomNameReplaced,
    /// A property CloudFormation refuses to update (the update fails): a KMS key's `KeySpec`.
    UpdateFails,
}

impl WarningKind {
    /// The kind's id in the JSON rendering.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::EngineDowngrade => "engine-downgrade",
            WarningKind::EngineMajorUpgrade => "engine-major-upgrade",
            WarningKind::ExportStillImported => "export-still-imported",
            WarningKind::ExportChangedInUse => "export-changed-in-use",
            WarningKind::CustomNameReplaced => "custom-name-replaced",
            WarningKind::UpdateFails => "update-fails",
        }
    }
}

/// One warning, located at a resource (or an output) of a stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// What kind of warning.
    pub kind: WarningKind,
    /// The resource, or for exports the output, it is about.
    pub logical_id: String,
    /// The type of the resource concerned, if any.
    pub resource_type: Option<String>,
    /// The construct path of the resource concerned, if any.
    pub path: Option<String>,
    /// What the change does.
    pub message: String,
    /// How to avoid it.
    pub fix: String,
    /// The deploy would fail: CloudFormation or the service refuses the change.
    pub blocking: bool,
}
