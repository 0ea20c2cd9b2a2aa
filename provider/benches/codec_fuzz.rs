//! Long-budget fuzzing of the value codecs: `make fuzz`, or
//! `cargo bench --bench codec_fuzz -- --seconds 60`.
//!
//! Runs every property of `codec_fuzz/cases.rs` (the same ones `cargo test` runs a
//! few hundred cases of) until the budget is spent, giving each property an equal
//! share of the time, and prints per property the cases run, the share of inputs
//! that decoded (none, for the properties about refusals), failures, panics and the
//! slowest case (timed again, so that a busy machine does not inflate it). A case
//! that runs for
//! `HANG_SECONDS` stops the run as a hang. Exits non-zero on any failure, panic or
//! hang.
//!
//! Options: `--seconds N` (default 60), `--seed N` (repeat a run; each property's
//! cases follow from the seed alone), `--only TEXT` (properties whose name holds
//! TEXT).

use std::fmt::Debug;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

// `cases.rs` reaches the library through these paths (as it does inside it).
use ode_provider::{framework, provider};

#[path = "codec_fuzz/cases.rs"]
mod cases;

use cases::{Shape, Wire};
use framework::codec::Attrs;

/// A case that runs this long is a hang.
const HANG_SECONDS: u64 = 10;
/// Cases run in one go before the scheduler picks the property with the least time.
const CHUNK: u32 = 100;
/// Failures kept per property, with their input.
const KEPT: usize = 3;
/// The slowest cases of each property are kept and timed again at the end (best of
/// three runs), so that a case that was slow only because the machine was busy does
/// not count as the slowest.
const RETIMED: usize = 32;
const RUNS: usize = 3;

/// A slow case: how long it took, its input, and a way to run it again.
struct Slow {
    took: Duration,
    input: String,
    again: Box<dyn Fn()>,
}

/// What a property has run so far.
#[derive(Default)]
struct Tally {
    cases: u64,
    accepted: u64,
    failures: u64,
    panics: u64,
    time: Duration,
    slow: Vec<Slow>,
    examples: Vec<String>,
}

type Case = Box<dyn FnMut(&mut TestRunner, &mut Tally)>;

struct Property {
    name: &'static str,
    case: Case,
    tally: Tally,
    chunks: u64,
}

/// A property: inputs from `strategy`, checked by `check` (true when the input
/// decoded).
fn property<S>(
    name: &'static str,
    strategy: S,
    check: impl Fn(&S::Value) -> Result<bool, TestCaseError> + 'static,
) -> Property
where
    S: Strategy + 'static,
    S::Value: Debug + Clone,
{
    let check = Rc::new(check);
    let case: Case = Box::new(move |runner, tally| {
        let input = match strategy.new_tree(runner) {
            Ok(tree) => tree.current(),
            Err(why) => {
                tally.fail(format!("no input: {why}"), String::new(), false);
                return;
            }
        };
        let start = Instant::now();
        let result = panic::catch_unwind(AssertUnwindSafe(|| check(&input)));
        let took = start.elapsed();
        tally.cases += 1;
        tally.time += took;
        if tally.slow.len() < RETIMED || tally.slow.last().is_some_and(|s| took > s.took) {
            let (check, again) = (check.clone(), input.clone());
            tally.slow.push(Slow {
                took,
                input: clip(format!("{input:?}")),
                again: Box::new(move || {
                    let _ = panic::catch_unwind(AssertUnwindSafe(|| check(&again)));
                }),
            });
            tally.slow.sort_by_key(|s| std::cmp::Reverse(s.took));
            tally.slow.truncate(RETIMED);
        }
        match result {
            Ok(Ok(accepted)) => tally.accepted += u64::from(accepted),
            Ok(Err(e)) => tally.fail(e.to_string(), clip(format!("{input:?}")), false),
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                tally.fail(format!("panic: {msg}"), clip(format!("{input:?}")), true);
            }
        }
    });
    Property {
        name,
        case,
        tally: Tally::default(),
        chunks: 0,
    }
}

impl Tally {
    /// The slowest case, timed again: the longest best-of-`RUNS` time among the
    /// slowest cases kept, with its input.
    fn slowest(&self) -> (Duration, &str) {
        self.slow
            .iter()
            .map(|s| {
                let best = (0..RUNS)
                    .map(|_| {
                        let start = Instant::now();
                        (s.again)();
                        start.elapsed()
                    })
                    .min()
                    .unwrap_or_default();
                (best, s.input.as_str())
            })
            .max_by_key(|(took, _)| *took)
            .unwrap_or_default()
    }

    fn fail(&mut self, why: String, input: String, panicked: bool) {
        self.failures += 1;
        self.panics += u64::from(panicked);
        if self.examples.len() < KEPT {
            self.examples.push(format!("{why}\n      input: {input}"));
        }
    }
}

fn clip(s: String) -> String {
    const MAX: usize = 300;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}... ({} bytes)", &s[..cut], s.len()),
        None => s,
    }
}

fn properties() -> Vec<Property> {
    vec![
        property(
            "values_msgpack",
            cases::typed_value(Wire::Msgpack),
            |(t, v)| cases::value_round_trips(t, v, Wire::Msgpack),
        ),
        property("values_json", cases::typed_value(Wire::Json), |(t, v)| {
            cases::value_round_trips(t, v, Wire::Json)
        }),
        property("hostile_msgpack", cases::typed_doc(), |(t, d)| {
            cases::msgpack_input(&d.to_bytes(), t)
        }),
        property("random_msgpack", cases::random_doc(), |(t, d)| {
            cases::msgpack_input(&d.to_bytes(), t)
        }),
        property("random_bytes", cases::random_bytes(), |(t, b)| {
            Ok(cases::msgpack_input(b, t)? | cases::json_input(b, t, Attrs::Strict)?)
        }),
        property(
            "edited_msgpack",
            cases::edited_value(Wire::Msgpack),
            |(t, v, e)| cases::edited_input(t, v, e, Wire::Msgpack),
        ),
        property(
            "edited_json",
            cases::edited_value(Wire::Json),
            |(t, v, e)| cases::edited_input(t, v, e, Wire::Json),
        ),
        property("hostile_json", cases::typed_json(), |(t, j, a)| {
            cases::json_input(j.to_string().as_bytes(), t, *a)
        }),
        property("deep_nesting", cases::deep(), |(s, d): &(Shape, usize)| {
            cases::deep_input(*s, *d)
        }),
        property(
            "wrong_kinds",
            cases::misplaced(Wire::Msgpack),
            |(t, v, at, p)| cases::misplaced_kind(t, v, at, *p),
        ),
        property(
            "wrong_kinds_json",
            cases::misplaced(Wire::Json),
            |(t, v, at, p)| cases::misplaced_kind(t, v, at, *p),
        ),
        property(
            "unknown_marks",
            cases::unknown_marks(),
            |(t, v, at, c, n)| cases::unknown_mark(t, v, at, *c, *n),
        ),
        property(
            "type_json",
            cases::typed_type(),
            cases::type_json_round_trips,
        ),
        property("json_as_type", cases::type_json_like(), cases::json_as_type),
    ]
}

struct Options {
    seconds: u64,
    seed: u64,
    only: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        seconds: 60,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            // `cargo bench` passes --bench to every bench binary.
            "--bench" => {}
            "--seconds" => {
                o.seconds = value("--seconds")?
                    .parse()
                    .map_err(|e| format!("--seconds: {e}"))?
            }
            "--seed" => {
                o.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--only" => o.only = Some(value("--only")?),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(o)
}

/// The property and start of the case running now, for the hang watchdog.
struct Running {
    name: &'static str,
    started: Instant,
}

fn watch_for_hangs(running: Arc<Mutex<Option<Running>>>, seed: u64) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(500));
        let guard = running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = guard.as_ref() {
            if r.started.elapsed() >= Duration::from_secs(HANG_SECONDS) {
                eprintln!(
                    "HANG: a case of {} has run for {HANG_SECONDS} s (repeat with --seed {seed} --only {})",
                    r.name, r.name
                );
                std::process::exit(3);
            }
        }
    });
}

/// A seed of its own for each chunk of each property, from the run's seed.
fn chunk_seed(seed: u64, name: &str, chunk: u64) -> u64 {
    let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
    for b in name.bytes().chain(chunk.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("codec_fuzz: {e}\nusage: codec_fuzz [--seconds N] [--seed N] [--only TEXT]");
            std::process::exit(2);
        }
    };
    let mut props: Vec<Property> = properties()
        .into_iter()
        .filter(|p| o.only.as_deref().is_none_or(|only| p.name.contains(only)))
        .collect();
    if props.is_empty() {
        eprintln!("codec_fuzz: no property matches {:?}", o.only);
        std::process::exit(2);
    }
    println!(
        "codec_fuzz: {} properties, {} s, seed {}",
        props.len(),
        o.seconds,
        o.seed
    );
    // Panics are counted and reported below; the default hook would print each one.
    panic::set_hook(Box::new(|_| {}));
    let running = Arc::new(Mutex::new(None));
    watch_for_hangs(running.clone(), o.seed);

    let start = Instant::now();
    let deadline = start + Duration::from_secs(o.seconds);
    while Instant::now() < deadline {
        let p = props
            .iter_mut()
            .min_by_key(|p| p.tally.time)
            .expect("at least one property");
        let config = Config {
            rng_seed: RngSeed::Fixed(chunk_seed(o.seed, p.name, p.chunks)),
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        p.chunks += 1;
        for _ in 0..CHUNK {
            *running.lock().unwrap_or_else(|e| e.into_inner()) = Some(Running {
                name: p.name,
                started: Instant::now(),
            });
            (p.case)(&mut runner, &mut p.tally);
        }
        *running.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
    let elapsed = start.elapsed();

    println!(
        "{:<18} {:>10} {:>9} {:>9} {:>7} {:>12}",
        "property", "cases", "accepted", "failures", "panics", "slowest"
    );
    let (mut failures, mut panics) = (0, 0);
    let mut slowest: (Duration, &str, &str) = (Duration::ZERO, "", "");
    for p in &props {
        let t = &p.tally;
        let (took, input) = t.slowest();
        println!(
            "{:<18} {:>10} {:>8.1}% {:>9} {:>7} {:>9.1} µs",
            p.name,
            t.cases,
            100.0 * t.accepted as f64 / t.cases.max(1) as f64,
            t.failures,
            t.panics,
            took.as_secs_f64() * 1e6
        );
        failures += t.failures;
        panics += t.panics;
        if took > slowest.0 {
            slowest = (took, p.name, input);
        }
    }
    let _ = panic::take_hook();
    println!(
        "total: {} cases in {:.1} s, {failures} failures, {panics} panics, 0 hangs (limit {HANG_SECONDS} s a case)",
        props.iter().map(|p| p.tally.cases).sum::<u64>(),
        elapsed.as_secs_f64()
    );
    println!(
        "slowest case (best of {RUNS} runs of each property's {RETIMED} slowest): {:.1} µs in {}: {}",
        slowest.0.as_secs_f64() * 1e6,
        slowest.1,
        slowest.2
    );
    for p in &props {
        for e in &p.tally.examples {
            println!("FAILED {}: {e}", p.name);
        }
    }
    if failures > 0 {
        println!("repeat with --seed {} (and --only NAME)", o.seed);
        std::process::exit(1);
    }
}
