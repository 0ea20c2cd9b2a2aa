//! Provider-defined functions (`provider::ode::NAME(...)`).

use super::types::Type;
use super::value::Value;

/// One positional parameter.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub allow_null: bool,
}

impl Param {
    pub fn new(name: &str, ty: Type, description: &str) -> Self {
        Param {
            name: name.to_string(),
            ty,
            description: description.to_string(),
            allow_null: false,
        }
    }
    pub fn nullable(mut self) -> Self {
        self.allow_null = true;
        self
    }
}

/// A function's signature and documentation.
#[derive(Clone, Debug)]
pub struct Signature {
    pub params: Vec<Param>,
    pub returns: Type,
    pub summary: String,
    pub description: String,
}

/// A failed call: the message and, when one argument is at fault, its index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionError {
    pub text: String,
    pub argument: Option<usize>,
}

impl FunctionError {
    pub fn at(argument: usize, text: impl Into<String>) -> Self {
        FunctionError {
            text: text.into(),
            argument: Some(argument),
        }
    }
}

pub trait Function: Send + Sync {
    fn name(&self) -> &'static str;
    fn signature(&self) -> Signature;
    /// Computes the result from wholly known arguments.
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}
