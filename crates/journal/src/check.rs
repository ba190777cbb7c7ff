//! Checking a journal from its stored data: the right edge on open (with
//! repair of torn partial tiles), and `journal verify`, which recomputes
//! every tile from the entries and every published root.
use std::collections::BTreeMap;

use probant_verify::{
    hash::{leaf_hash, Hash},
    tile::{self, level_len, partial_width, TILE_WIDTH},
    tree::{perfect_root, Frontier},
};

use crate::history::Published;

use crate::integrate::{Artefact, TreeEdge};
use crate::journal::bundle_width;
use crate::prune::read_ledger;
use crate::store::TileStore;
use crate::{Error, Journal};

fn levels_of(size: u64) -> u8 {
    (0..64u8).take_while(|&l| level_len(size, l) > 0).count() as u8
}

/// The edge of the published tree. If a partial tile is torn or missing, it
/// is rebuilt from the level below (the partial bundle for level 0) and
/// rewritten, provided the result matches the signed root.
/// Returns the edge and the paths of the tiles that had to be rebuilt.
pub(crate) fn load_edge(
    store: &TileStore,
    last: &Published,
) -> Result<(TreeEdge, Vec<String>), Error> {
    let size = last.size;
    let w0 = partial_width(size, 0);
    let bundle = if w0 == 0 {
        Vec::new()
    } else {
        store
            .read_bundle(size / TILE_WIDTH, w0)?
            .ok_or_else(|| Error::Corrupt {
                what: format!("{} is missing", tile::bundle_path(size / TILE_WIDTH, w0)),
            })?
    };
    let stored: Result<Vec<Vec<Hash>>, Error> = (0..levels_of(size))
        .map(|l| match partial_width(size, l) {
            0 => Ok(Vec::new()),
            w => store.read_tile(l, level_len(size, l) / TILE_WIDTH, w),
        })
        .collect();
    if let Ok(levels) = stored {
        let edge = TreeEdge::from_parts(size, levels, bundle.clone())?;
        if edge.root() == last.root {
            return Ok((edge, Vec::new()));
        }
    }
    repair_edge(store, last, bundle)
}

fn repair_edge(
    store: &TileStore,
    last: &Published,
    bundle: Vec<Vec<u8>>,
) -> Result<(TreeEdge, Vec<String>), Error> {
    let size = last.size;
    let mut levels = vec![bundle.iter().map(|e| leaf_hash(e)).collect::<Vec<_>>()];
    for l in 1..levels_of(size) {
        let first = level_len(size, l) / TILE_WIDTH * TILE_WIDTH;
        let hashes = (first..first + partial_width(size, l))
            .map(|i| {
                store
                    .read_tile(l - 1, i, TILE_WIDTH)
                    .map(|t| perfect_root(&t))
            })
            .collect::<Result<Vec<_>, _>>()?;
        levels.push(hashes);
    }
    let edge = TreeEdge::from_parts(size, levels, bundle)?;
    if edge.root() != last.root {
        return Err(Error::Corrupt {
            what: format!(
                "the stored tree does not match the signed checkpoint of size {size}; run `probant journal verify` to locate the damage"
            ),
        });
    }
    let rewritten = edge.partial_tiles();
    store.write(&rewritten)?;
    Ok((edge, rewritten.iter().map(Artefact::path).collect()))
}

/// Bundles loaded ahead of the checker.
const LOADERS: u64 = 2;

/// A bundle's entries and their leaf hashes (`None`: no bundle file).
type Loaded = Result<Option<(Vec<Vec<u8>>, Vec<Hash>)>, Error>;

/// Reads, decrypts and hashes bundle `b` of the tree of `size`.
fn load(store: &TileStore, size: u64, b: u64) -> Loaded {
    let entries = store.read_bundle(b, bundle_width(size, b))?;
    Ok(entries.map(|e| {
        let leaves = e.iter().map(|x| leaf_hash(x)).collect();
        (e, leaves)
    }))
}

/// Outcome of `journal verify`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Tree size of the latest checkpoint.
    pub size: u64,
    /// Entries read, decrypted and hashed.
    pub entries_checked: u64,
    /// Entries whose bundles were pruned under the retention policy (their
    /// leaf hashes are taken from the tiles).
    pub entries_pruned: u64,
    /// Published checkpoints whose signature and root were checked.
    pub checkpoints_checked: u64,
    /// Bytes fed to SHA-256 (entries and interior nodes).
    pub bytes_hashed: u64,
    /// The first inconsistency found, if any.
    pub problem: Option<String>,
}

/// Progress callback: `(entries done, entries in all)`.
pub type VerifyProgress<'a> = &'a mut dyn FnMut(u64, u64);

struct Checker<'a> {
    store: &'a TileStore,
    size: u64,
    edge: TreeEdge,
    frontier: Frontier,
    history: std::iter::Peekable<std::vec::IntoIter<Published>>,
    ledger: BTreeMap<u64, (u64, u64)>,
    report: VerifyReport,
}

impl Journal {
    /// Recomputes the whole tree from the entries and checks every stored
    /// tile, every published checkpoint (signature and root) and the latest
    /// checkpoint. Stops at the first inconsistency and names it.
    pub fn verify(&self, progress: VerifyProgress<'_>) -> Result<VerifyReport, Error> {
        let latest = self.latest();
        let mut history = self.history()?.all()?;
        history.retain(|p| p.size <= latest.size);
        for p in &history {
            if let Err(e) = p.verify(self.verifier_key()) {
                return Ok(VerifyReport {
                    problem: Some(format!("published checkpoint of size {}: {e}", p.size)),
                    ..Default::default()
                });
            }
        }
        let mut c = Checker {
            store: self.store(),
            size: latest.size,
            edge: TreeEdge::new(),
            frontier: Frontier::new(),
            report: VerifyReport {
                size: latest.size,
                checkpoints_checked: history.len() as u64,
                ..Default::default()
            },
            history: history.into_iter().peekable(),
            ledger: read_ledger(self.dir())?
                .into_iter()
                .map(|(f, t, e)| (f, (t, e)))
                .collect(),
        };
        c.check_roots(0);
        let bundles = latest.size.div_ceil(TILE_WIDTH);
        let store = self.store();
        // Decrypting and hashing bundles is independent per bundle: two
        // workers load them ahead, in turn, while this thread checks them in
        // order against the tiles and the published roots.
        std::thread::scope(|s| {
            let receivers: Vec<_> = (0..LOADERS)
                .map(|w| {
                    let (tx, rx) = std::sync::mpsc::sync_channel::<Loaded>(4);
                    s.spawn(move || {
                        for b in (w..bundles).step_by(LOADERS as usize) {
                            if tx.send(load(store, latest.size, b)).is_err() {
                                break; // the checker stopped at a problem
                            }
                        }
                    });
                    rx
                })
                .collect();
            for b in 0..bundles {
                if c.report.problem.is_some() {
                    break;
                }
                match receivers[(b % LOADERS) as usize].recv() {
                    Ok(loaded) => c.check_bundle(b, loaded),
                    Err(_) => c.fail(format!("bundle {b} could not be loaded")),
                }
                progress(c.frontier.size(), latest.size);
            }
        });
        if c.report.problem.is_none() {
            c.check_edge(&latest);
        }
        Ok(c.report)
    }
}

impl Checker<'_> {
    fn fail(&mut self, problem: String) {
        self.report.problem.get_or_insert(problem);
    }

    fn pruned(&self, bundle: u64) -> bool {
        self.ledger
            .range(..=bundle)
            .next_back()
            .is_some_and(|(_, &(to, _))| bundle < to)
    }

    fn check_bundle(&mut self, b: u64, loaded: Loaded) {
        let width = bundle_width(self.size, b);
        let first = b * TILE_WIDTH;
        let stored = match self.store.read_tile(0, b, width) {
            Ok(t) => t,
            Err(e) => return self.fail(e.to_string()),
        };
        let leaves: Vec<Hash> = match loaded {
            Ok(Some((entries, leaves))) => {
                self.check_prune_entries(first, &entries);
                self.report.entries_checked += width;
                self.report.bytes_hashed += entries.iter().map(|e| e.len() as u64 + 1).sum::<u64>();
                leaves
            }
            Ok(None) if self.pruned(b) => {
                self.report.entries_pruned += width;
                stored.clone()
            }
            Ok(None) => {
                return self.fail(format!(
                    "{} is missing (entries {first}..{}) and no prune recorded its removal",
                    tile::bundle_path(b, width),
                    first + width
                ))
            }
            Err(e) => return self.fail(e.to_string()),
        };
        if let Some(i) = (0..leaves.len()).find(|&i| leaves[i] != stored[i]) {
            return self.fail(format!(
                "{}: hash {i} does not match entry {} in {}",
                tile::tile_path(0, b, width),
                first + i as u64,
                tile::bundle_path(b, width)
            ));
        }
        for (i, leaf) in leaves.iter().enumerate() {
            self.frontier.push(*leaf);
            self.check_roots(first + i as u64 + 1);
        }
        self.report.bytes_hashed += 65 * 2 * width;
        let produced = self.edge.integrate_leaves(&leaves);
        for a in produced.iter().filter(|a| a.is_full()) {
            self.check_stored(a);
            self.check_superseded_partials(a);
        }
    }

    fn check_roots(&mut self, size: u64) {
        while let Some(p) = self.history.next_if(|p| p.size == size) {
            if p.root != self.frontier.root() {
                self.fail(format!(
                    "published checkpoint of size {size} has a root that differs from the tree recomputed from the entries"
                ));
            }
        }
    }

    fn check_stored(&mut self, a: &Artefact) {
        let Artefact::Tile {
            level,
            index,
            hashes,
        } = a
        else {
            return;
        };
        if *level == 0 {
            return;
        }
        let width = (hashes.len() / 32) as u64;
        match self.store.read_tile(*level, *index, width) {
            Ok(stored) if stored.concat() == *hashes => {}
            Ok(_) => self.fail(format!(
                "{} differs from the hashes of the tiles below it",
                tile::tile_path(*level, *index, width)
            )),
            Err(e) => self.fail(e.to_string()),
        }
    }

    fn check_edge(&mut self, latest: &Published) {
        for a in self.edge.partial_tiles() {
            self.check_stored(&a);
            self.check_superseded_partials(&a);
        }
        if self.frontier.root() != latest.root {
            self.fail(format!(
                "journal/checkpoint (size {}) does not match the tree recomputed from the entries",
                latest.size
            ));
        }
        let unconfirmed: Vec<_> = self
            .ledger
            .values()
            .filter(|(_, e)| *e != u64::MAX)
            .collect();
        if let Some((_, e)) = unconfirmed.first() {
            self.fail(format!("journal/pruned names entry {e}, which is not the journal.prune entry that records it"));
        }
    }

    /// Partial tiles of earlier published sizes stay on disk (proofs to
    /// those sizes read them) until the full tile replaces them: each must be
    /// a prefix of the tile as recomputed.
    fn check_superseded_partials(&mut self, a: &Artefact) {
        let Artefact::Tile {
            level,
            index,
            hashes,
        } = a
        else {
            return;
        };
        let dir = self
            .store
            .root()
            .join(format!("{}.p", tile::tile_path(*level, *index, TILE_WIDTH)));
        let Ok(listing) = std::fs::read_dir(&dir) else {
            return;
        };
        for item in listing.flatten() {
            let name = item.file_name().to_string_lossy().into_owned();
            let Ok(width) = name.parse::<usize>() else {
                continue;
            };
            if width * 32 >= hashes.len() && !a.is_full() {
                continue; // the current partial tile, checked by check_stored
            }
            let path = tile::tile_path(*level, *index, width as u64);
            match std::fs::read(item.path()) {
                Ok(b) if width * 32 <= hashes.len() && b == hashes[..width * 32] => {}
                _ => {
                    return self.fail(format!(
                    "{path} (kept for proofs to an earlier size) differs from the recomputed tile"
                ))
                }
            }
        }
    }

    /// A prune recorded in the ledger must be backed by its journal entry.
    fn check_prune_entries(&mut self, first: u64, entries: &[Vec<u8>]) {
        let confirmed: Vec<u64> = self
            .ledger
            .iter()
            .filter(|(_, (_, e))| (first..first + entries.len() as u64).contains(e))
            .filter(|(from, (to, e))| {
                crate::prune::entry_records(&entries[(e - first) as usize], **from, *to)
            })
            .map(|(from, _)| *from)
            .collect();
        for from in confirmed {
            if let Some(v) = self.ledger.get_mut(&from) {
                v.1 = u64::MAX;
            }
        }
    }
}
