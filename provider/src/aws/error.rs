//! AWS errors: keep the service's code, message and request id; decide "not
//! found", "permission" and "stopped" in one place.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// The code of an operation cut short because the core asked the provider to stop.
pub const STOPPED: &str = "Interrupted";
/// The code of a wait or retry that ran out of time.
pub const TIMEOUT: &str = "Timeout";

/// Codes that mean the caller lacks permission: retrying cannot help.
const PERMISSION_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthFailure",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "OptInRequired",
];

/// An AWS call that failed, with the operation it was.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsError {
    pub operation: &'static str,
    pub code: Option<String>,
    pub message: String,
    /// The request id AWS gave the failed call, for support cases and CloudTrail.
    pub request_id: Option<String>,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: ", self.operation)?;
        if let Some(c) = &self.code {
            write!(f, "{c}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {}

impl AwsError {
    /// An error made by this provider (not returned by AWS).
    pub fn new(operation: &'static str, code: &str, message: impl Into<String>) -> Self {
        AwsError {
            operation,
            code: Some(code.to_string()),
            message: message.into(),
            request_id: None,
        }
    }

    /// `operation` was not started or finished because the core asked to stop.
    pub fn stopped(operation: &'static str) -> Self {
        AwsError::new(
            operation,
            STOPPED,
            "stopped on request (Ctrl-C); what exists so far is recorded in state",
        )
    }

    /// A request the SDK refused to build (a required field left empty).
    pub fn build(operation: &'static str, e: impl std::fmt::Display) -> Self {
        AwsError::new(
            operation,
            "InvalidRequest",
            format!("the request could not be built: {e}"),
        )
    }

    pub fn from_sdk<E>(operation: &'static str, e: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = e.code().map(str::to_string);
        let (message, request_id) = match e {
            SdkError::ServiceError(ctx) => {
                let headers = ctx.raw().headers();
                let id = headers
                    .get("x-amzn-requestid")
                    .or_else(|| headers.get("x-amz-request-id"))
                    .or_else(|| e.meta().extra("aws_request_id"))
                    .map(str::to_string);
                let msg = match e.message() {
                    Some(m) => m.to_string(),
                    None => format!(
                        "HTTP {} without an error message",
                        ctx.raw().status().as_u16()
                    ),
                };
                (msg, id)
            }
            other => {
                use std::error::Error;
                let mut msg = other.to_string();
                let mut src = other.source();
                while let Some(s) = src {
                    msg.push_str(": ");
                    msg.push_str(&s.to_string());
                    src = s.source();
                }
                (msg, None)
            }
        };
        AwsError {
            operation,
            code,
            message,
            request_id,
        }
    }

    pub fn is_code(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| codes.contains(&c))
    }

    /// Codes like `InvalidSubnetID.NotFound`, `NatGatewayNotFound`, `NoSuchBucket`,
    /// `ResourceNotFoundException`, `NoSuchEntity`.
    pub fn is_not_found(&self) -> bool {
        self.code
            .as_deref()
            .is_some_and(|c| c.contains("NotFound") || c.starts_with("NoSuch"))
    }

    /// The caller may not do this: retrying cannot help.
    pub fn is_permission(&self) -> bool {
        self.is_code(PERMISSION_CODES)
    }

    pub fn is_stopped(&self) -> bool {
        self.is_code(&[STOPPED])
    }
}

/// Turns an SDK result into `Result<_, AwsError>` naming the operation.
pub trait Op<T> {
    fn op(self, operation: &'static str) -> Result<T, AwsError>;
}

impl<T, E> Op<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    fn op(self, operation: &'static str) -> Result<T, AwsError> {
        self.map_err(|e| AwsError::from_sdk(operation, &e))
    }
}

/// A field AWS's answer to `operation` must carry (the id of what it made):
/// its absence is an error, never an empty string.
pub fn required(operation: &'static str, field: &str, v: Option<&str>) -> Result<String, AwsError> {
    v.map(str::to_string).ok_or_else(|| {
        AwsError::new(
            operation,
            "IncompleteAnswer",
            format!("the answer has no {field}"),
        )
    })
}

/// A create of an object the read before it did not find, answered "already exists"
/// (`codes`): AWS carried out an earlier attempt of this create whose answer was lost,
/// and the SDK sent it again. Taken as made; the next read judges its settings.
pub fn made(r: Result<(), AwsError>, codes: &[&str]) -> Result<(), AwsError> {
    match r {
        Err(e) if e.is_code(codes) => {
            tracing::info!(
                operation = e.operation,
                "already made by an earlier attempt of this create"
            );
            Ok(())
        }
        other => other,
    }
}

/// Maps "not found" codes to `Ok(None)`.
pub fn found<T>(r: Result<T, AwsError>, not_found: &[&str]) -> Result<Option<T>, AwsError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_code(not_found) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_codes() {
        let e = |c: &str| AwsError::new("Op", c, "m");
        for c in [
            "InvalidSubnetID.NotFound",
            "NatGatewayNotFound",
            "NoSuchBucket",
            "ResourceNotFoundException",
        ] {
            assert!(e(c).is_not_found(), "{c}");
        }
        assert!(!e("DependencyViolation").is_not_found());
        for c in ["AccessDenied", "UnauthorizedOperation", "AuthFailure"] {
            assert!(e(c).is_permission(), "{c}");
        }
        assert!(!e("Throttling").is_permission());
        assert!(AwsError::stopped("Op").is_stopped());
    }

    #[test]
    fn display_keeps_code_message_and_request_id() {
        let mut e = AwsError::new("DeleteSubnet", "UnauthorizedOperation", "not allowed");
        e.request_id = Some("req-1".into());
        assert_eq!(
            e.to_string(),
            "DeleteSubnet: UnauthorizedOperation: not allowed (request id req-1)"
        );
    }
}
