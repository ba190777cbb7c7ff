//! The local backend: the shared conformance suite, plus a black-box check
//! of what it writes on disk and its local-only behaviour.
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use probant_blobs::conformance::{self, check_generated, key, write_generated};
use probant_blobs::{BlobStore, Error, LocalBlobStore};

fn store() -> (tempfile::TempDir, LocalBlobStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalBlobStore::open(dir.path()).unwrap();
    (dir, store)
}

/// Every file under `root`, relative, sorted.
fn files_under(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[test]
fn conformance_suite() {
    let (dir, store) = store();
    conformance::run_all(&store);
    assert_eq!(files_under(dir.path()), Vec::<String>::new());
}

#[test]
fn blob_is_the_file_at_its_key_path_and_nothing_else_is_written() {
    let (dir, store) = store();
    let k = key("rec/0192-aa/v1");
    let mut w = store.create(&k).unwrap();
    w.write_all(b"ciphertext").unwrap();
    let info = w.finish().unwrap();
    assert_eq!((info.key.as_str(), info.size), ("rec/0192-aa/v1", 10));
    let path = dir.path().join("rec/0192-aa/v1");
    assert_eq!(std::fs::read(&path).unwrap(), b"ciphertext");
    assert_eq!(store.path_of(&k), path.canonicalize().unwrap());
    // No staging file left, in .partial/ or next to the blob.
    assert_eq!(files_under(dir.path()), vec!["rec/0192-aa/v1".to_string()]);
    assert!(dir.path().join(".partial").is_dir());
    // A hard-linked publish must not leave a second link to the blob.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(std::fs::metadata(&path).unwrap().nlink(), 1);
    }
    store.delete(&k).unwrap();
    assert!(!path.exists());
}

#[test]
fn files_that_are_not_keys_are_not_listed() {
    let (dir, store) = store();
    write_generated(&store, &key("a/b"), 1, 10, 10);
    std::fs::write(dir.path().join("README.txt"), b"x").unwrap();
    std::fs::write(dir.path().join("a/Upper"), b"x").unwrap();
    std::fs::write(dir.path().join(".partial/123-4-5#1"), b"x").unwrap();
    assert_eq!(conformance::list(&store), vec!["a/b".to_string()]);
}

#[test]
fn open_refuses_a_missing_root_or_a_file() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        LocalBlobStore::open(&dir.path().join("absent")),
        Err(Error::Io { .. })
    ));
    let file = dir.path().join("file");
    std::fs::write(&file, b"").unwrap();
    assert!(matches!(LocalBlobStore::open(&file), Err(Error::Io { .. })));
}

#[test]
fn describe_names_the_directory() {
    let (dir, store) = store();
    let canon = dir.path().canonicalize().unwrap();
    assert_eq!(
        store.describe(),
        format!("local filesystem {}", canon.display())
    );
    assert_eq!(store.root(), canon);
}

#[test]
fn usable_from_inside_another_tokio_runtime() {
    // The methods never block_on the caller's thread, so calling them from
    // async code (which should rather use spawn_blocking) does not panic.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let (_dir, store) = store();
        let k = key("in-runtime");
        write_generated(&store, &k, 1, 3 << 20, 65_536);
        check_generated(&store, &k, 1, 3 << 20);
        drop(store.create(&key("dropped-in-runtime")).unwrap());
        assert_eq!(conformance::list(&store), vec!["in-runtime".to_string()]);
        drop(store); // dropping the store's runtime inside async code is fine
    });
}

#[test]
fn concurrent_writers_share_new_directories() {
    let (dir, store) = store();
    std::thread::scope(|s| {
        for t in 0..6u64 {
            let store = &store;
            s.spawn(move || {
                for i in 0..5u64 {
                    let k = key(&format!("shared/{}/{t}-{i}", i % 2));
                    write_generated(store, &k, t * 10 + i, 300_000 + i, 4096);
                }
            });
        }
    });
    assert_eq!(store.list().unwrap().len(), 30);
    for t in 0..6u64 {
        for i in 0..5u64 {
            let k = key(&format!("shared/{}/{t}-{i}", i % 2));
            check_generated(&store, &k, t * 10 + i, 300_000 + i);
        }
    }
    assert_eq!(
        files_under(&dir.path().join(".partial")),
        Vec::<String>::new()
    );
}

#[test]
fn purge_staging_keeps_young_uploads() {
    let (dir, store) = store();
    let k = key("slow");
    let mut w = store.create(&k).unwrap();
    w.write_all(&vec![7; 3 << 20]).unwrap();
    assert_eq!(store.purge_staging(Duration::from_secs(3600)).unwrap(), 0);
    assert_eq!(files_under(&dir.path().join(".partial")).len(), 1);
    w.finish().unwrap();
    let mut back = Vec::new();
    store.open(&k).unwrap().read_to_end(&mut back).unwrap();
    assert_eq!(back, vec![7; 3 << 20]);
}

#[test]
fn a_blob_cannot_sit_where_another_key_has_a_directory() {
    // Documented limit of the filesystem backend: `a` and `a/b` cannot both
    // exist. Both orders fail cleanly and leave the existing blob alone.
    let (dir, store) = store();
    write_generated(&store, &key("a/b"), 1, 10, 10);
    let mut w = store.create(&key("a")).unwrap();
    w.write_all(b"x").unwrap();
    assert!(matches!(w.finish(), Err(Error::Exists { .. })));
    write_generated(&store, &key("c"), 2, 10, 10);
    assert!(matches!(
        store.size(&key("c/d")),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.open(&key("c/d")),
        Err(Error::NotFound { .. })
    ));
    let mut w = store.create(&key("c/d")).unwrap();
    w.write_all(b"x").unwrap();
    assert!(w.finish().is_err());
    check_generated(&store, &key("a/b"), 1, 10);
    check_generated(&store, &key("c"), 2, 10);
    let listed: Vec<PathBuf> = store
        .list()
        .unwrap()
        .iter()
        .map(|k| store.path_of(k))
        .collect();
    assert_eq!(
        listed,
        vec![store.path_of(&key("a/b")), store.path_of(&key("c"))]
    );
    // The refused uploads left nothing behind.
    assert_eq!(
        files_under(dir.path()),
        vec!["a/b".to_string(), "c".to_string()]
    );
}

/// What a kill during a single-part put leaves beside the key
/// (`<key>#<n>`) is purged; finished blobs are not touched.
#[test]
fn purge_staging_removes_leftovers_of_single_part_puts() {
    let (dir, store) = store();
    write_generated(&store, &key("records/ab/kept-v1"), 3, 1000, 100);
    let leftover = dir.path().join("records/ab/lost-v1#17");
    std::fs::write(&leftover, b"half a blob").unwrap();
    assert_eq!(
        store.purge_staging(Duration::from_secs(3600)).unwrap(),
        0,
        "young files stay"
    );
    assert_eq!(store.purge_staging(Duration::ZERO).unwrap(), 1);
    assert!(!leftover.exists());
    assert_eq!(store.list().unwrap(), vec![key("records/ab/kept-v1")]);
}

/// A large blob's writeback is started while it is written, on the staging
/// file object_store creates as `<staging>#1`: this pins that name (an
/// object_store that named it otherwise would silently lose the early
/// writeback), and shows the content is unaffected and the pages released.
#[test]
fn a_large_blob_is_staged_as_object_store_names_it() {
    let (dir, store) = store();
    let k = key("records/ab/large");
    let mut w = store.create(&k).unwrap();
    let part = vec![7u8; 1 << 20];
    for _ in 0..12 {
        w.write_all(&part).unwrap();
    }
    let staged = files_under(&dir.path().join(".partial"));
    assert_eq!(staged.len(), 1, "{staged:?}");
    assert!(staged[0].ends_with("#1"), "{staged:?}");
    w.write_all(b"tail").unwrap();
    assert_eq!(w.finish().unwrap().size, 12 * (1 << 20) + 4);
    let mut back = Vec::new();
    store.open(&k).unwrap().read_to_end(&mut back).unwrap();
    assert_eq!(back.len(), 12 * (1 << 20) + 4);
    assert!(back[..12 << 20].iter().all(|&b| b == 7) && back.ends_with(b"tail"));
    assert!(files_under(&dir.path().join(".partial")).is_empty());
}

/// A one-part blob is published on the calling thread only outside any
/// executor: from inside a `futures` executor it still works, through the
/// store's runtime (a nested `block_on` would panic).
#[test]
fn usable_from_inside_a_futures_executor() {
    let (_dir, store) = store();
    let k = key("records/cd/inside-futures");
    futures::executor::block_on(async {
        let mut w = store.create(&k).unwrap();
        w.write_all(b"small").unwrap();
        w.finish().unwrap();
    });
    let mut back = Vec::new();
    store.open(&k).unwrap().read_to_end(&mut back).unwrap();
    assert_eq!(back, b"small");
}
