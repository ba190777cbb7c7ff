//! Helpers for the end-to-end tests: a sandbox per test (its own homes,
//! `$XDG_CONFIG_HOME` and `$HOME`), running the built `probant` binary, and
//! byte-for-byte snapshots of a home.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use serde_json::Value;
use tempfile::TempDir;

/// The actor every test runs as (`$PROBANT_ACTOR`).
pub const ACTOR: &str = "alice";

/// The journal-consultation approver `init` registers in tests.
pub const APPROVER: &str = "bob";

/// Files a command may touch even when it fails: the advisory lock file.
pub const LOCK: &[&str] = &["journal/lock"];

/// Files an opened journal may rewrite even when the command then fails: the
/// lock and the write-ahead log (opening recovers it and starts a fresh
/// segment; its integrated entries are already in the tiles).
pub const LOCK_AND_WAL: &[&str] = &["journal/lock", "journal/wal"];

/// One test's private directory tree.
pub struct Sandbox {
    dir: TempDir,
}

/// The outcome of one run of `probant`.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temporary directory");
        for sub in ["xdg", "user"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
        }
        Sandbox { dir }
    }

    /// A path inside the sandbox.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `<sandbox>/many/000.txt`…: `count` text files of `lines` lines (58
    /// bytes each), for runs long enough to be interrupted.
    pub fn many_texts(&self, count: usize, lines: usize) -> PathBuf {
        let dir = self.path("many");
        std::fs::create_dir(&dir).expect("mkdir many");
        let line = "Attest voor de sociale zekerheid, bladzijde na bladzijde.\n";
        for i in 0..count {
            std::fs::write(dir.join(format!("{i:03}.txt")), line.repeat(lines)).expect("write");
        }
        dir
    }

    /// The default home of a test: `<sandbox>/home`.
    pub fn home(&self) -> PathBuf {
        self.path("home")
    }

    /// `$XDG_CONFIG_HOME` of the runs.
    pub fn xdg(&self) -> PathBuf {
        self.path("xdg")
    }

    /// Where `init` puts the key file of home `id` by default.
    pub fn default_key_file(&self, id: &str) -> PathBuf {
        self.xdg().join(format!("probant/keys/{id}.key"))
    }

    /// Files under `$XDG_CONFIG_HOME/probant/keys`.
    pub fn key_files(&self) -> Vec<PathBuf> {
        list_files(&self.xdg().join("probant/keys"))
    }

    /// `probant` with a clean environment: own config dirs, actor alice, no
    /// home, key file or passphrase inherited; stdin closed.
    pub fn command(&self) -> Command {
        self.command_of(Command::new(env!("CARGO_BIN_EXE_probant")))
    }

    /// The same, in a new session without a controlling terminal (`setsid`),
    /// so that nothing can prompt even when the tests run from a terminal.
    pub fn command_without_terminal(&self) -> Command {
        let mut c = Command::new("setsid");
        c.arg("--wait").arg(env!("CARGO_BIN_EXE_probant"));
        self.command_of(c)
    }

    fn command_of(&self, mut c: Command) -> Command {
        c.current_dir(self.dir.path())
            .env("XDG_CONFIG_HOME", self.xdg())
            .env("HOME", self.path("user"))
            .env("PROBANT_ACTOR", ACTOR)
            .env_remove("PROBANT_HOME")
            .env_remove("PROBANT_KEY_FILE")
            .env_remove("PROBANT_PASSPHRASE")
            .stdin(Stdio::null());
        c
    }

    /// Runs `probant ARGS`.
    pub fn run(&self, args: &[&str]) -> Run {
        run(self.command().args(args))
    }

    /// `probant --home HOME ARGS`, ready to run.
    pub fn command_at(&self, home: &Path, args: &[&str]) -> Command {
        let mut c = self.command();
        c.arg("--home").arg(home).args(args);
        c
    }

    /// Runs `probant --home HOME ARGS`.
    pub fn at(&self, home: &Path, args: &[&str]) -> Run {
        run(&mut self.command_at(home, args))
    }

    /// `probant init --json` into `home` (with `--approver bob`, unless
    /// `extra` names an approver); returns the printed document.
    pub fn init(&self, home: &Path, extra: &[&str]) -> Value {
        let approver: &[&str] = if extra.contains(&"--approver") {
            &[]
        } else {
            &["--approver", APPROVER]
        };
        let r = self.at(home, &[&["init", "--json"], approver, extra].concat());
        r.assert_ok();
        single_json_line(&r.stdout)
    }

    /// An approved whole-journal consultation of `home` (requested by
    /// alice, approved by bob); returns its id.
    pub fn approved_consultation(&self, home: &Path) -> String {
        self.approved_consultation_env(home, &[])
    }

    /// The same, with extra environment variables for each run.
    pub fn approved_consultation_env(&self, home: &Path, env: &[(&str, &str)]) -> String {
        let mut c = self.command_at(
            home,
            &[
                "consult",
                "request",
                "--reason",
                "test inspection",
                "--json",
            ],
        );
        let r = run(c.envs(env.iter().copied()));
        r.assert_ok();
        let id = single_json_line(&r.stdout)["id"]
            .as_str()
            .expect("consultation id")
            .to_owned();
        let mut c = self.command_at(home, &["--as", APPROVER, "consult", "approve", &id]);
        run(c.envs(env.iter().copied())).assert_ok();
        id
    }

    /// `init` into the default home; returns the printed document.
    pub fn init_home(&self) -> Value {
        self.init(&self.home(), &[])
    }

    /// Every journal entry of `home`, parsed, read through the consultation
    /// procedure (contract 7): request, approval and then the run, whose own
    /// entry comes after what it shows.
    pub fn entries(&self, home: &Path) -> Vec<Value> {
        self.entries_env(home, &[])
    }

    /// [`Sandbox::entries`] with extra environment variables.
    pub fn entries_env(&self, home: &Path, env: &[(&str, &str)]) -> Vec<Value> {
        let id = self.approved_consultation_env(home, env);
        let mut c = self.command_at(
            home,
            &["journal", "entries", "--json", "--consultation", &id],
        );
        let r = run(c.envs(env.iter().copied()));
        r.assert_ok();
        json_lines(&r.stdout)
    }

    /// Writes `text` to a file in the sandbox; returns its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::write(&p, text).expect("write file");
        p
    }
}

/// Runs a prepared command to completion.
pub fn run(c: &mut Command) -> Run {
    let o = c.output().expect("run probant");
    Run {
        code: o.status.code().expect("exit code (not killed by a signal)"),
        stdout: String::from_utf8(o.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(o.stderr).expect("stderr is UTF-8"),
    }
}

impl Run {
    /// Exit status 0.
    pub fn assert_ok(&self) -> &Run {
        assert_eq!(self.code, 0, "expected success: {self:#?}");
        self
    }

    /// Exit status 1, `message` on stderr, nothing on stdout.
    pub fn assert_fails_with(&self, message: &str) -> &Run {
        assert_eq!(self.code, 1, "expected exit status 1: {self:#?}");
        assert!(
            self.stderr.contains(message),
            "stderr lacks {message:?}: {self:#?}"
        );
        assert_eq!(self.stdout, "", "a failure prints no result");
        self
    }
}

/// Parses stdout that must be exactly one JSON document on one line.
pub fn single_json_line(stdout: &str) -> Value {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line: {stdout:?}");
    serde_json::from_str(lines[0]).expect("a JSON line")
}

/// Parses JSON lines.
pub fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// Every file (with its bytes) and directory (as `None`) under `root`, by
/// relative path, except those under one of the `ignore` prefixes.
pub fn snapshot(root: &Path, ignore: &[&str]) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_owned()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).expect("list directory") {
            let path = e.expect("directory entry").path();
            let rel = path.strip_prefix(root).expect("under root").to_owned();
            if ignore.iter().any(|i| rel.starts_with(i)) {
                continue;
            }
            if path.is_dir() {
                todo.push(path);
                out.insert(rel, None);
            } else {
                out.insert(rel, Some(std::fs::read(&path).expect("read file")));
            }
        }
    }
    out
}

/// Every regular file under `root` (empty if `root` does not exist).
pub fn list_files(root: &Path) -> Vec<PathBuf> {
    if !root.exists() {
        return Vec::new();
    }
    snapshot(root, &[])
        .into_iter()
        .filter(|(_, bytes)| bytes.is_some())
        .map(|(rel, _)| root.join(rel))
        .collect()
}

/// Runs `command`, which must fail with `message` and leave every file of
/// `home` as it was (except those under `ignore`); returns the run.
pub fn fails_unchanged(home: &Path, command: &mut Command, message: &str, ignore: &[&str]) -> Run {
    let before = snapshot(home, ignore);
    let r = run(command);
    r.assert_fails_with(message);
    assert!(
        before == snapshot(home, ignore),
        "a failed {command:?} changed files in {}",
        home.display()
    );
    r
}

/// Flips one bit of the byte at `offset` of `path`.
pub fn flip_byte(path: &Path, offset: usize) {
    let mut bytes = std::fs::read(path).expect("read file");
    bytes[offset] ^= 0x01;
    std::fs::write(path, bytes).expect("write file");
}

/// The partial file of largest width in `dir` (`tile/…/000.p`): the one the
/// latest checkpoint uses.
pub fn widest_partial(dir: &Path) -> PathBuf {
    list_files(dir)
        .into_iter()
        .max_by_key(|p| {
            let name = p.file_name().expect("file name").to_string_lossy();
            name.parse::<u32>().expect("a partial width")
        })
        .expect("a partial file")
}

/// Appends `n` events in one batch through the journal library, as another
/// Probant program would: a single checkpoint covers them all, so the tree
/// sizes in between are never published.
pub fn append_one_batch(home: &Path, key_file: &Path, n: usize) {
    let meta: Value =
        serde_json::from_slice(&std::fs::read(home.join("home.json")).unwrap()).expect("home.json");
    let source = probant_crypto::MasterKeySource::KeyFile(key_file.to_owned());
    let id = meta["id"].as_str().expect("home id");
    let ring = probant_crypto::KeyRing::open(&home.join("keyring.json"), id, &source).unwrap();
    let journal = probant_journal::Journal::open(
        &home.join("journal"),
        Arc::new(RingSigner(ring.journal_signer().unwrap())),
        Arc::new(RingSealer(ring.journal_sealer().unwrap())),
        probant_journal::Options::default(),
    )
    .expect("open journal");
    journal.append_all(&vec![test_event(); n]).expect("append");
    journal.close().expect("close journal");
}

fn test_event() -> probant_journal::Event {
    probant_journal::Event {
        action: "test.batch".into(),
        outcome: probant_journal::Outcome::Success,
        actor: probant_journal::Actor {
            id: ACTOR.into(),
            kind: probant_journal::ActorKind::Person,
            on_behalf_of: None,
            auth: "local-key-file".into(),
        },
        resource: probant_journal::Resource::default(),
        purpose: None,
        legal_basis: None,
        controller: "test controller".into(),
        executor: "test executor".into(),
        place: "test place".into(),
        channel: "test".into(),
        malfunction: None,
        details: None,
    }
}

struct RingSigner(probant_crypto::Ed25519Signer);

impl probant_journal::Signer for RingSigner {
    fn public_key(&self) -> [u8; 32] {
        self.0.public_key()
    }
    fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg)
    }
}

struct RingSealer(probant_crypto::Sealer);

impl probant_journal::Sealer for RingSealer {
    fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        self.0.seal(aad, plaintext)
    }
    fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        self.0.open(aad, sealed).ok()
    }
}

/// Catalogued versions, read straight from the SQLite file (python3's
/// sqlite3 module), without opening the home.
pub fn catalogued(home: &Path) -> usize {
    let code = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\n\
                print(c.execute('SELECT count(*) FROM records').fetchone()[0])";
    let out = Command::new("python3")
        .args(["-c", code])
        .arg(home.join("catalog.sqlite"))
        .output()
        .expect("python3 (with its sqlite3 module) runs");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Published blobs (not object_store's `<key>#<n>` staging files).
pub fn blob_files(home: &Path) -> usize {
    list_files(&home.join("blobs/records"))
        .iter()
        .filter(|p| !p.to_string_lossy().contains('#'))
        .count()
}
