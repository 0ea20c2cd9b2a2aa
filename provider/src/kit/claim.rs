//! Claim-safe adoption: which existing objects a create may take over.
//!
//! A composite resource marks its root object (the VPC, the state bucket, ...)
//! with `ode:creating = <fingerprint>` when it creates it. A later create adopts
//! a marked object only when the fingerprint is its own: that object was left by
//! an unfinished create of this very resource instance (a killed or interrupted
//! apply). An object without the mark is managed by some Terraform state; one
//! with another fingerprint is being created (or was abandoned) by another
//! configuration. Neither is ever adopted.
//!
//! The mark outlives the create: the core saves the new object in its state only
//! after the create has answered (a local state is written at the end of the
//! apply, a remote one every 20 s or so), so a core killed in between has made
//! objects it never recorded, and the next apply must still find them its own.
//! The mark goes at the first read of the resource ([`release_when_read`]): the
//! core reads only what its state holds, so from then on the object is managed,
//! and never adopted again.
//!
//! The fingerprint names the state the resource lives in, as far as the
//! provider can see it: the backend the core was initialised with (type and
//! settings, from the working directory's `.terraform/terraform.tfstate`) and
//! the workspace; with the default local backend, the working directory's real
//! path and the workspace. The provider runs in the core's working directory,
//! so a copied root module, another workspace or another backend key each get
//! another fingerprint, while a re-run of the same root module (also in a fresh
//! CI checkout with the same backend) gets the same one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The ownership tag that marks an unfinished create.
pub const CREATING_TAG: &str = "ode:creating";

/// Ends a claim once the core has the resource in its state: `marked` says the
/// root a read found still carries this process's mark, and `release` removes it.
/// A release that fails (a plan run with read-only credentials) leaves the mark
/// for the next read; it fails nothing.
pub async fn release_when_read(
    marked: bool,
    name: &str,
    release: impl std::future::Future<Output = Result<(), crate::aws::AwsError>>,
) {
    if marked {
        match release.await {
            Ok(()) => tracing::info!(name, "the create is in state: its claim mark is removed"),
            Err(e) => tracing::warn!(name, error = %e, "the claim mark stays until the next read"),
        }
    }
}

/// Whether `tags` carry the mark of this process's fingerprint.
pub fn marked(tags: &BTreeMap<String, String>, fingerprint: &str) -> bool {
    tags.get(CREATING_TAG).map(String::as_str) == Some(fingerprint)
}

/// Who an existing root object belongs to, judged by its tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Left by an unfinished create of this resource instance: adopt it.
    Ours,
    /// Marked by a create in another state: unfinished (running now, or abandoned),
    /// or finished and not refreshed since.
    CreatingElsewhere,
    /// A finished object that some Terraform state manages.
    Managed,
}

/// Judges an existing object's tags against this process's fingerprint.
pub fn judge(tags: &BTreeMap<String, String>, fingerprint: &str) -> Owner {
    match tags.get(CREATING_TAG) {
        Some(f) if f == fingerprint => Owner::Ours,
        Some(_) => Owner::CreatingElsewhere,
        None => Owner::Managed,
    }
}

/// Why a create could not go on: an AWS error, or an object of the resource's
/// name that is not this instance's to adopt.
#[derive(Debug)]
pub enum ClaimError {
    Aws(crate::aws::AwsError),
    Taken { what: String, owner: Owner },
}

impl From<crate::aws::AwsError> for ClaimError {
    fn from(e: crate::aws::AwsError) -> Self {
        ClaimError::Aws(e)
    }
}

/// The code of a [`ClaimError::Taken`] reported as an error of its own (not
/// AWS's: AWS answered nothing wrong, the object is simply not ours).
pub const TAKEN: &str = "NotThisResources";

impl Owner {
    /// Why an object with this owner is not adopted, for messages.
    pub fn why(&self) -> &'static str {
        match self {
            Owner::Ours => "was left by an unfinished create of this resource",
            Owner::Managed => {
                "already exists and belongs to another Terraform state (or was made outside this provider)"
            }
            Owner::CreatingElsewhere => {
                "is marked as made by a create in another Terraform state (another configuration or workspace), one that is unfinished or has not refreshed since"
            }
        }
    }
}

impl ClaimError {
    /// The error as one failed call of `operation`, for places that report
    /// errors per call (a child object the composite creates late).
    pub fn into_aws(self, operation: &'static str) -> crate::aws::AwsError {
        match self {
            ClaimError::Aws(e) => e,
            ClaimError::Taken { what, owner } => crate::aws::AwsError::new(
                operation,
                TAKEN,
                format!("{what} {}; nothing was changed on it", owner.why()),
            ),
        }
    }
}

/// The resource whose create met a name that is not its to take: `kind` names
/// it for people ("EKS stack"), `type_name` for the import command
/// (`ode_eks_stack`); `attribute` is the setting that names it, `value` its
/// value, and `import_id` what `terraform import` takes.
pub struct Claimant<'a> {
    pub kind: &'a str,
    pub type_name: &'a str,
    pub attribute: &'a str,
    pub value: &'a str,
    pub import_id: &'a str,
}

impl Claimant<'_> {
    /// Why the create stopped and the ways out, for a diagnostic's detail.
    pub fn detail(&self, what: &str, owner: &Owner) -> String {
        let Claimant {
            type_name,
            import_id,
            ..
        } = self;
        let why = match owner {
            Owner::Ours => Owner::CreatingElsewhere.why(),
            other => other.why(),
        };
        let way_out = match owner {
            Owner::Managed => format!(
                "Choose another name, or, if this configuration should manage it, remove it \
                 from the other state and import it here: terraform import <address of this \
                 {type_name}> {import_id}"
            ),
            _ => format!(
                "Choose another name, finish or destroy that apply where it ran, or import it \
                 here: terraform import <address of this {type_name}> {import_id}"
            ),
        };
        format!("{what} {why}. Nothing was created or changed. {way_out}")
    }

    /// Says, on the naming attribute, that a create found `what` taken by
    /// `owner` and made nothing.
    pub fn report(&self, diags: &mut crate::framework::Diagnostics, what: &str, owner: &Owner) {
        diags.attr_error(
            crate::framework::AttrPath::attr(self.attribute),
            format!("{} {} {:?} is taken", self.kind, self.attribute, self.value),
            self.detail(what, owner),
        );
    }
}

/// [`Claimant::report`] for a resource named and imported by its `name`.
pub fn report_taken(
    diags: &mut crate::framework::Diagnostics,
    kind: &str,
    type_name: &str,
    name: &str,
    what: &str,
    owner: &Owner,
) {
    let claimant = Claimant {
        kind,
        type_name,
        attribute: "name",
        value: name,
        import_id: name,
    };
    claimant.report(diags, what, owner);
}

/// The fingerprint of the state this provider process serves (see the module
/// docs), computed from the working directory and the environment.
pub fn fingerprint() -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let data_dir = std::env::var_os("TF_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".terraform"));
    let data_dir = if data_dir.is_absolute() {
        data_dir
    } else {
        cwd.join(data_dir)
    };
    fingerprint_of(&cwd, &data_dir, std::env::var("TF_WORKSPACE").ok())
}

/// [`fingerprint`] for an explicit working directory, data dir and workspace.
pub fn fingerprint_of(cwd: &Path, data_dir: &Path, workspace: Option<String>) -> String {
    let workspace = workspace
        .filter(|w| !w.is_empty())
        .or_else(|| {
            std::fs::read_to_string(data_dir.join("environment"))
                .ok()
                .map(|s| s.trim().to_string())
        })
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| "default".into());
    let backend = std::fs::read_to_string(data_dir.join("terraform.tfstate"))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .map(|v| v["backend"].clone())
        .filter(|b| b.is_object() && b["type"] != "local");
    let identity = match backend {
        // serde_json's maps are sorted: the same settings give the same text.
        Some(b) => format!("backend {} {}", b["type"], b["config"]),
        None => {
            let dir = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
            format!("local {}", dir.display())
        }
    };
    format!(
        "{:016x}",
        fnv1a(format!("{identity}\nworkspace {workspace}").as_bytes())
    )
}

/// FNV-1a, 64 bits: a stable, dependency-free hash (not a security measure: the
/// fingerprint only tells configurations apart).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn only_our_own_unfinished_create_is_adopted() {
        assert_eq!(judge(&tags(&[(CREATING_TAG, "abc")]), "abc"), Owner::Ours);
        assert_eq!(
            judge(&tags(&[(CREATING_TAG, "xyz")]), "abc"),
            Owner::CreatingElsewhere
        );
        assert_eq!(judge(&tags(&[("ode:stack", "n")]), "abc"), Owner::Managed);
    }

    #[test]
    fn fingerprints_tell_states_apart() {
        let root = std::env::temp_dir().join(format!("ode-claim-{}", std::process::id()));
        let (a, b) = (root.join("a"), root.join("b"));
        for d in [&a, &b] {
            std::fs::create_dir_all(d.join(".terraform")).unwrap();
        }
        let fp = |d: &Path, ws: Option<&str>| {
            fingerprint_of(d, &d.join(".terraform"), ws.map(str::to_string))
        };
        // Local state: the directory and the workspace decide.
        assert_eq!(fp(&a, None), fp(&a, None));
        assert_eq!(fp(&a, None), fp(&a, Some("default")));
        assert_ne!(fp(&a, None), fp(&b, None));
        assert_ne!(fp(&a, None), fp(&a, Some("staging")));
        std::fs::write(a.join(".terraform/environment"), "staging").unwrap();
        assert_eq!(fp(&a, None), fp(&a, Some("staging")));
        std::fs::remove_file(a.join(".terraform/environment")).unwrap();
        // A remote backend: its settings decide, wherever the checkout is.
        let backend = |key: &str| {
            format!(
                r#"{{"version":3,"backend":{{"type":"s3","config":{{"bucket":"st","key":"{key}"}},"hash":1}}}}"#
            )
        };
        std::fs::write(a.join(".terraform/terraform.tfstate"), backend("prod")).unwrap();
        std::fs::write(b.join(".terraform/terraform.tfstate"), backend("prod")).unwrap();
        assert_eq!(fp(&a, None), fp(&b, None));
        std::fs::write(b.join(".terraform/terraform.tfstate"), backend("staging")).unwrap();
        assert_ne!(fp(&a, None), fp(&b, None));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
