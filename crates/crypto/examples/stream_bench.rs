//! Throughput of the record-content stream: encrypts N MiB from memory to /dev/null (AES-256-GCM and
//! SHA-256 of the plaintext in one pass), then decrypts the same volume from memory.
//!
//! ```text
//! cargo run --release -p probant-crypto --example stream_bench -- [MIB] [SEGMENT_SIZE]
//! ```
//!
//! Compare with what the machine's OpenSSL does for each primitive alone, in the same run:
//!
//! ```text
//! openssl speed -seconds 2 -bytes 65536 -evp aes-256-gcm
//! openssl speed -seconds 2 -bytes 65536 -evp sha256
//! ```
//!
//! Encryption does both, one after the other on each segment, so its ceiling is about
//! `1 / (1/aes + 1/sha)`; decryption does only AES-GCM.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::time::Instant;

use probant_crypto::{DataKey, DecryptingReader, EncryptingWriter, DEFAULT_SEGMENT_SIZE};

const MIB: usize = 1 << 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mib: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1024);
    let segment: u32 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(DEFAULT_SEGMENT_SIZE);
    let block: Vec<u8> = (0..MIB).map(|i| (i * 7 + 3) as u8).collect();
    let key = DataKey::generate();

    let null = OpenOptions::new().write(true).open("/dev/null")?;
    let start = Instant::now();
    let mut writer = EncryptingWriter::with_segment_size(&key, null, segment)?;
    for _ in 0..mib {
        writer.write_all(&block)?;
    }
    let (_, summary) = writer.finish()?;
    report(
        "encrypt + sha256",
        summary.plaintext_len,
        start.elapsed().as_secs_f64(),
    );

    // Decrypt a stream of up to 256 MiB held in memory, as often as needed to cover the same volume.
    let sample_mib = mib.clamp(1, 256);
    let mut writer = EncryptingWriter::with_segment_size(
        &key,
        Vec::with_capacity(sample_mib * MIB + MIB),
        segment,
    )?;
    for _ in 0..sample_mib {
        writer.write_all(&block)?;
    }
    let (stream, _) = writer.finish()?;
    let (mut buf, mut total) = (vec![0u8; MIB], 0u64);
    let start = Instant::now();
    while total < (mib * MIB) as u64 {
        let mut reader = DecryptingReader::new(&key, &stream[..])?;
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
        }
    }
    report("decrypt", total, start.elapsed().as_secs_f64());
    println!("segment size {segment} B; compare: openssl speed -seconds 2 -bytes 65536 -evp aes-256-gcm (and -evp sha256)");
    Ok(())
}

fn report(what: &str, bytes: u64, seconds: f64) {
    let mb_s = bytes as f64 / 1e6 / seconds;
    println!(
        "{what:>16}: {} MiB in {seconds:.3} s = {mb_s:.0} MB/s",
        bytes / MIB as u64
    );
}
