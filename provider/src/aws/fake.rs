//! Scripted AWS for unit tests: an [`Aws`] whose clients never touch the
//! network. Each call is answered by the first matching script (by the
//! operation's input type, and an optional predicate on the input); a script
//! answers every call, or only the next `n` ones, and may answer slowly.
//! Unscripted calls fail with code `Unscripted` and are listed by
//! [`Fake::unscripted`], so a test sees every call it did not expect.
//!
//! ```ignore
//! let fake = Fake::new();
//! answer!(fake, aws_sdk_ec2::Client::create_vpc, |_| Ok(CreateVpcOutput::builder()...build()));
//! answer!(fake, aws_sdk_ec2::Client::describe_vpcs, |_| Err(failure("RequestLimitExceeded", "slow down")); times = 1);
//! let aws = fake.aws();
//! ```
//!
//! The scripts ride in an SDK interceptor: the answer is chosen before the
//! request is serialised (when the typed input is at hand) and put in place of
//! the transport's empty response once the attempt completes, so the SDK's own
//! request building and error typing run as they do against AWS.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextMut, Error, Input,
    Output,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{
    HttpRequest, HttpResponse, Metadata, OrchestratorError,
};
use aws_smithy_runtime_api::client::result::{CreateUnhandledError, SdkError};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::error::ErrorMetadata;

/// An operation error with AWS's `code` and `message`, as the service would
/// send it (e.g. `failure("InvalidVpcID.NotFound", "...")`).
pub fn failure<E: CreateUnhandledError>(code: &str, message: &str) -> E {
    let meta = ErrorMetadata::builder().code(code).message(message).build();
    E::create_unhandled_error(format!("{code}: {message}").into(), Some(meta))
}

type Answer = Result<Output, Error>;
type Script = Box<dyn Fn(&Input) -> Option<Answer> + Send + Sync>;

struct Rule {
    script: Script,
    /// Calls this rule still answers; None: every call.
    left: Option<usize>,
    delay: Duration,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    /// Operation names, in call order.
    calls: Vec<String>,
    unscripted: Vec<String>,
    /// Answers chosen before serialisation, by call id, until the attempt completes.
    pending: HashMap<u64, (Answer, Duration)>,
}

/// A scripted AWS; clone it freely (all clones share the scripts and the log).
#[derive(Clone, Default)]
pub struct Fake {
    state: Arc<Mutex<State>>,
    next_id: Arc<AtomicU64>,
}

impl fmt::Debug for Fake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fake")
    }
}

/// How a script answers: how many calls (None: all) and how slowly.
#[derive(Clone, Copy, Debug, Default)]
pub struct Times {
    pub times: Option<usize>,
    pub delay: Duration,
}

impl Fake {
    pub fn new() -> Fake {
        Fake::default()
    }

    /// Adds a script for the operation whose input is `I`. `_input` and
    /// `_send` only name the operation's types (see [`answer!`]).
    pub fn script<I, O, E, R, F>(
        &self,
        _input: impl Fn() -> I,
        _send: impl Fn() -> F,
        how: Times,
        when: impl Fn(&I) -> bool + Send + Sync + 'static,
        answer: impl Fn(&I) -> Result<O, E> + Send + Sync + 'static,
    ) where
        I: fmt::Debug + Send + Sync + 'static,
        O: fmt::Debug + Send + Sync + 'static,
        E: StdError + fmt::Debug + Send + Sync + 'static,
        F: Future<Output = Result<O, SdkError<E, R>>>,
    {
        let script: Script = Box::new(move |input: &Input| {
            let input = input.downcast_ref::<I>().filter(|i| when(i))?;
            Some(match answer(input) {
                Ok(o) => Ok(Output::erase(o)),
                Err(e) => Err(Error::erase(e)),
            })
        });
        self.state.lock().unwrap().rules.push(Rule {
            script,
            left: how.times,
            delay: how.delay,
        });
    }

    /// Operation names called so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }

    /// How many times `op` was called.
    pub fn count(&self, op: &str) -> usize {
        self.calls().iter().filter(|c| *c == op).count()
    }

    /// Calls no script answered (operation and input).
    pub fn unscripted(&self) -> Vec<String> {
        self.state.lock().unwrap().unscripted.clone()
    }

    /// Clients for every service, all answered by this fake.
    pub fn aws(&self) -> super::Aws {
        super::Aws::with_fake(SharedHttpClient::new(Transport), self)
    }

    fn choose(&self, op: &str, input: &Input) -> Option<(Answer, Duration)> {
        let mut s = self.state.lock().unwrap();
        s.calls.push(op.to_string());
        let mut found = None;
        for rule in s.rules.iter_mut() {
            if rule.left == Some(0) {
                continue;
            }
            if let Some(answer) = (rule.script)(input) {
                if let Some(n) = &mut rule.left {
                    *n -= 1;
                }
                found = Some((answer, rule.delay));
                break;
            }
        }
        if found.is_none() {
            s.unscripted.push(format!("{op} {input:?}"));
        }
        found
    }
}

/// Adds a script to a [`Fake`]: `answer!(fake, aws_sdk_eks::Client::describe_cluster,
/// |input| Ok(...))`, optionally followed by `; times = n` (answer only the next
/// n calls) and `; delay = d` (answer after d). `answer!(fake, op, when |input|
/// predicate, |input| ...)` answers only the calls the predicate accepts (calls in
/// flight together, on different objects).
#[macro_export]
macro_rules! answer {
    ($fake:expr, $op:path, when $w:expr, $f:expr $(; times = $n:expr)? $(; delay = $d:expr)?) => {{
        #[allow(unused_mut)]
        let mut how = $crate::aws::fake::Times::default();
        $(how.times = Some($n);)?
        $(how.delay = $d;)?
        #[allow(unreachable_code, clippy::diverging_sub_expression)]
        $fake.script(
            || $op(todo!()).as_input().clone().build().unwrap(),
            || $op(todo!()).send(),
            how,
            $w,
            $f,
        )
    }};
    ($fake:expr, $op:path, $f:expr $(; times = $n:expr)? $(; delay = $d:expr)?) => {
        $crate::aws::fake::answer!($fake, $op, when |_| true, $f $(; times = $n)? $(; delay = $d)?)
    };
}
pub use answer;

#[derive(Clone, Debug)]
struct CallId(u64);
impl Storable for CallId {
    type Storer = StoreReplace<Self>;
}

#[derive(Clone, Debug)]
struct Delay(Duration);

impl Intercept for Fake {
    fn name(&self) -> &'static str {
        "Fake"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_string())
            .unwrap_or_default();
        let input = context.input();
        match self.choose(&op, input) {
            Some(answer) => {
                let id = self.next_id.fetch_add(1, Ordering::SeqCst);
                self.state.lock().unwrap().pending.insert(id, answer);
                cfg.interceptor_state().store_put(CallId(id));
                Ok(())
            }
            None => Err(format!("Unscripted: no answer for {op} {input:?}").into()),
        }
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(CallId(id)) = cfg.load::<CallId>() {
            if let Some((_, d)) = self.state.lock().unwrap().pending.get(id) {
                context.request_mut().add_extension(Delay(*d));
            }
        }
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(CallId(id)) = cfg.load::<CallId>() {
            if let Some((answer, _)) = self.state.lock().unwrap().pending.remove(id) {
                context
                    .inner_mut()
                    .set_output_or_error(answer.map_err(OrchestratorError::operation));
            }
        }
        Ok(())
    }
}

/// The transport: waits the script's delay, then returns an empty response that
/// the interceptor replaces with the scripted answer.
#[derive(Debug)]
struct Transport;

impl HttpClient for Transport {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector)
    }
}

#[derive(Debug)]
struct Connector;

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let delay = request
            .extension::<Delay>()
            .map(|d| d.0)
            .unwrap_or_default();
        HttpConnectorFuture::new(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let status = 200u16.try_into().expect("a valid status");
            Ok(HttpResponse::new(status, SdkBody::empty()))
        })
    }
}

/// One row of a child module's table test: a script, and what the call under
/// test should end with (Ok, or an error whose text holds the given words).
pub struct Case {
    pub name: &'static str,
    pub script: fn(&Fake),
    pub want: Result<(), &'static str>,
}

/// Runs `call` once per case against a fresh fake scripted by the case, and
/// checks its outcome and that it made no call the script did not answer.
pub async fn table<T, F, Fut>(cases: &[Case], call: F)
where
    T: fmt::Debug,
    F: Fn(super::Aws, crate::framework::Stop) -> Fut,
    Fut: Future<Output = Result<T, super::AwsError>>,
{
    for c in cases {
        let fake = Fake::new();
        (c.script)(&fake);
        let got = call(fake.aws(), crate::framework::Stop::new()).await;
        match (&c.want, &got) {
            (Ok(()), Ok(_)) => {}
            (Err(want), Err(e)) => assert!(e.to_string().contains(want), "{}: {e}", c.name),
            (want, got) => panic!("{}: want {want:?}, got {got:?}", c.name),
        }
        assert!(
            fake.unscripted().is_empty(),
            "{}: unscripted calls {:?}",
            c.name,
            fake.unscripted()
        );
    }
}

/// Checks that `call`, scripted by `script` to wait (an object that stays in a
/// pending state, or a slow answer), returns `Interrupted` soon after the
/// core's stop. Run it with `#[tokio::test(start_paused = true)]`.
pub async fn stops_promptly<T, F, Fut>(script: fn(&Fake), call: F)
where
    T: fmt::Debug,
    F: FnOnce(super::Aws, crate::framework::Stop) -> Fut,
    Fut: Future<Output = Result<T, super::AwsError>>,
{
    let fake = Fake::new();
    script(&fake);
    let stop = crate::framework::Stop::new();
    let later = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        later.cancel();
    });
    let started = tokio::time::Instant::now();
    let got = call(fake.aws(), stop).await;
    let took = started.elapsed();
    match got {
        Err(e) => assert!(e.is_stopped(), "want Interrupted, got {e}"),
        Ok(v) => panic!("want Interrupted, got Ok({v:?})"),
    }
    assert!(took < Duration::from_secs(5), "stopped after {took:?}");
}
