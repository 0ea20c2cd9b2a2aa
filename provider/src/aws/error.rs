//! AWS errors: keep the service's code and message; decide "not found" in one place.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// An AWS call that failed, with the operation it was.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub operation: &'static str,
    pub code: Option<String>,
    pub message: String,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(c) => write!(f, "{}: {c}: {}", self.operation, self.message),
            None => write!(f, "{}: {}", self.operation, self.message),
        }
    }
}

impl std::error::Error for AwsError {}

impl AwsError {
    pub fn from_sdk<E>(operation: &'static str, e: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = e.code().map(str::to_string);
        let message = match e {
            SdkError::ServiceError(ctx) => match e.message() {
                Some(m) => m.to_string(),
                None => format!(
                    "HTTP {} without an error message",
                    ctx.raw().status().as_u16()
                ),
            },
            other => {
                use std::error::Error;
                let mut msg = other.to_string();
                let mut src = other.source();
                while let Some(s) = src {
                    msg.push_str(": ");
                    msg.push_str(&s.to_string());
                    src = s.source();
                }
                msg
            }
        };
        AwsError {
            operation,
            code,
            message,
        }
    }

    pub fn is_code(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| codes.contains(&c))
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

/// Maps "not found" codes to `Ok(None)`.
pub fn found<T>(r: Result<T, AwsError>, not_found: &[&str]) -> Result<Option<T>, AwsError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_code(not_found) => Ok(None),
        Err(e) => Err(e),
    }
}
