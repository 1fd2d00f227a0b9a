//! Uploaded images: only JPEG, PNG and WebP, recognised by their bytes; re-encoded so the
//! metadata put in (EXIF with GPS, comments, text chunks) is gone; size and pixel limits with
//! nothing stored on refusal; who may read staff files; the S3 backend against the fake,
//! including a wrong secret.

use culturehub::access::Role;
use culturehub::storage::fake::FakeS3;
use culturehub_tests::{both, error_code, Backend, TestApp};
use serde_json::{json, Value};
use sha2::Digest;
use std::io::Cursor;
use std::path::{Path, PathBuf};

const SECRET_MARKER: &str = "GPS-SECRET-MARKER 22.5431N 114.0579E";
const COMMENT_MARKER: &str = "COMMENT-SECRET-MARKER";

// ---------------------------------------------------------------------------------------
// Test images with metadata in them.

/// A big-endian TIFF (the body of an EXIF block): IFD0 with ImageDescription (the marker),
/// Orientation = 6 (rotate 90° to display) and a GPS IFD with a latitude.
fn exif_tiff() -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(b"MM\x00\x2a\x00\x00\x00\x08");
    let desc = format!("{SECRET_MARKER}\0");
    let entry = |t: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: u32| {
        t.extend_from_slice(&tag.to_be_bytes());
        t.extend_from_slice(&typ.to_be_bytes());
        t.extend_from_slice(&count.to_be_bytes());
        t.extend_from_slice(&value.to_be_bytes());
    };
    // IFD0 at 8: 3 entries → ends at 8 + 2 + 36 + 4 = 50. GPS IFD at 50: 2 entries → ends
    // at 80. Latitude rationals at 80 (24 bytes) → description at 104.
    t.extend_from_slice(&3u16.to_be_bytes());
    entry(&mut t, 0x010E, 2, desc.len() as u32, 104);
    entry(&mut t, 0x0112, 3, 1, 6 << 16);
    entry(&mut t, 0x8825, 4, 1, 50);
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(&2u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, u32::from_be_bytes(*b"N\0\0\0"));
    entry(&mut t, 0x0002, 5, 3, 80);
    t.extend_from_slice(&0u32.to_be_bytes());
    for (n, d) in [(22u32, 1u32), (32, 1), (3516, 100)] {
        t.extend_from_slice(&n.to_be_bytes());
        t.extend_from_slice(&d.to_be_bytes());
    }
    assert_eq!(t.len(), 104);
    t.extend_from_slice(desc.as_bytes());
    t
}

fn pattern(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 6) as u8, (y * 9) as u8, 120]))
}

/// A JPEG with an EXIF APP1 segment (orientation 6, GPS) and a comment segment.
fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
        .encode_image(&pattern(w, h))
        .unwrap();
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(exif_tiff());
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((COMMENT_MARKER.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(COMMENT_MARKER.as_bytes());
    out.extend_from_slice(&plain[2..]);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    c.extend_from_slice(&body);
    c.extend_from_slice(&crc32(&body).to_be_bytes());
    c
}

fn encode_png(img: image::DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A PNG with an eXIf chunk (orientation 6, GPS) and a tEXt comment, right after IHDR.
fn png_with_exif(w: u32, h: u32) -> Vec<u8> {
    let plain = encode_png(image::DynamicImage::ImageRgb8(pattern(w, h)));
    let ihdr_end = 8 + 8 + 13 + 4;
    let mut out = plain[..ihdr_end].to_vec();
    out.extend(png_chunk(b"eXIf", &exif_tiff()));
    out.extend(png_chunk(
        b"tEXt",
        format!("Comment\0{COMMENT_MARKER}").as_bytes(),
    ));
    out.extend_from_slice(&plain[ihdr_end..]);
    out
}

/// An extended-format WebP (VP8X) with a lossless image and an EXIF chunk.
fn webp_with_exif(w: u32, h: u32) -> Vec<u8> {
    let mut plain = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut plain)
        .encode(pattern(w, h).as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    assert_eq!(&plain[12..16], b"VP8L");
    let mut chunks = Vec::new();
    let mut vp8x = vec![0x08, 0, 0, 0]; // flags: EXIF present
    vp8x.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    let riff_chunk = |out: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        out.extend_from_slice(kind);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
    };
    riff_chunk(&mut chunks, b"VP8X", &vp8x);
    chunks.extend_from_slice(&plain[12..]);
    riff_chunk(&mut chunks, b"EXIF", &exif_tiff());
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&((chunks.len() + 4) as u32).to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend(chunks);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Markers of a JPEG's segments up to the start of scan.
fn jpeg_markers(b: &[u8]) -> Vec<u8> {
    assert_eq!(&b[..2], &[0xFF, 0xD8], "not a JPEG");
    let mut i = 2;
    let mut markers = Vec::new();
    while i + 4 <= b.len() {
        assert_eq!(b[i], 0xFF, "segment expected at {i}");
        let m = b[i + 1];
        markers.push(m);
        if m == 0xDA {
            break;
        }
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        i += 2 + len;
    }
    markers
}

/// Chunk types of a PNG.
fn png_chunks(b: &[u8]) -> Vec<String> {
    let mut i = 8;
    let mut kinds = Vec::new();
    while i + 8 <= b.len() {
        let len = u32::from_be_bytes(b[i..i + 4].try_into().unwrap()) as usize;
        kinds.push(String::from_utf8_lossy(&b[i + 4..i + 8]).into_owned());
        i += 12 + len;
    }
    kinds
}

/// Every file under `dir` (none when it does not exist).
fn stored_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(stored_files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn upload(
    app: &TestApp,
    token: Option<&str>,
    unit: i64,
    visibility: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    app.send_bytes(
        "POST",
        &format!("/api/v1/files?unit_id={unit}&visibility={visibility}"),
        token,
        content_type,
        bytes,
    )
    .await
}

async fn file_count(app: &TestApp) -> i64 {
    app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM files")
        .await
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

// ---------------------------------------------------------------------------------------

async fn metadata_is_stripped(app: &TestApp) {
    let (staff, _) = app
        .staff("files-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;

    let cases: [(&str, &str, Vec<u8>); 3] = [
        ("jpeg", "image/jpeg", jpeg_with_exif(40, 20)),
        ("png", "image/png", png_with_exif(40, 20)),
        ("webp", "image/webp", webp_with_exif(40, 20)),
    ];
    for (name, ct, bytes) in cases {
        assert!(
            contains(&bytes, SECRET_MARKER.as_bytes()),
            "{name}: test input lacks the marker"
        );
        let (s, v) = upload(app, Some(&staff), point, "staff", ct, bytes).await;
        assert_eq!(s, 200, "{name}: {v}");
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["url"], json!(format!("/api/v1/files/{id}")));
        assert_eq!(v["thumb_url"], json!(format!("/api/v1/files/{id}/thumb")));
        assert_eq!(v["visibility"], "staff");
        // Turned upright by the EXIF orientation (6: rotate 90°), so 40×20 is stored 20×40.
        assert_eq!(
            (v["width"].as_i64(), v["height"].as_i64()),
            (Some(20), Some(40)),
            "{name}: {v}"
        );

        let (s, h, body) = app
            .fetch(&format!("/api/v1/files/{id}"), Some(&staff))
            .await;
        assert_eq!(s, 200, "{name}");
        assert_eq!(v["bytes"].as_i64(), Some(body.len() as i64));
        assert_eq!(header(&h, "x-content-type-options"), "nosniff");
        assert_eq!(header(&h, "cache-control"), "private, no-store");
        for marker in [SECRET_MARKER, COMMENT_MARKER, "Exif", "GPS"] {
            assert!(
                !contains(&body, marker.as_bytes()),
                "{name}: {marker} survived"
            );
        }
        let expected_ct = if name == "png" {
            "image/png"
        } else {
            "image/jpeg"
        };
        assert_eq!(header(&h, "content-type"), expected_ct, "{name}");
        assert_eq!(v["content_type"], expected_ct);
        if expected_ct == "image/jpeg" {
            // Only the JFIF header and the image's own tables: no APP1..APP15, no comment.
            let markers = jpeg_markers(&body);
            assert!(
                markers
                    .iter()
                    .all(|m| !(0xE1..=0xEF).contains(m) && *m != 0xFE),
                "{name}: metadata segments {markers:x?}"
            );
        } else {
            let chunks = png_chunks(&body);
            for c in ["eXIf", "tEXt", "iTXt", "zTXt", "iCCP", "tIME"] {
                assert!(!chunks.iter().any(|k| k == c), "{name}: {c} in {chunks:?}");
            }
        }
        // The stored bytes decode to the upright image.
        let img = image::load_from_memory(&body).unwrap();
        assert_eq!((img.width(), img.height()), (20, 40));

        // Database row: sha256 of the stored bytes, the unit, the uploader.
        let row: (String, i64, String) =
            sqlx::query_as("SELECT sha256, unit_id, visibility FROM files WHERE id = $1")
                .bind(id)
                .fetch_one(app.state().db.pool())
                .await
                .unwrap();
        assert_eq!(row.0, hex::encode(sha2::Sha256::digest(&body)));
        assert_eq!((row.1, row.2.as_str()), (point, "staff"));

        let (s, h, thumb) = app
            .fetch(&format!("/api/v1/files/{id}/thumb"), Some(&staff))
            .await;
        assert_eq!(s, 200);
        assert_eq!(header(&h, "cache-control"), "private, no-store");
        assert!(!contains(&thumb, SECRET_MARKER.as_bytes()));
        image::load_from_memory(&thumb).expect("thumbnail decodes");
    }

    // A large photo gets a thumbnail of 320 px on the long side; a PNG claimed to be a JPEG is
    // stored as what it is.
    let big = encode_png(image::DynamicImage::ImageRgb8(pattern(1000, 500)));
    let (s, v) = upload(app, Some(&staff), point, "public", "image/jpeg", big).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["content_type"], "image/png");
    let (_, _, thumb) = app.fetch(v["thumb_url"].as_str().unwrap(), None).await;
    let t = image::load_from_memory(&thumb).unwrap();
    assert_eq!((t.width(), t.height()), (320, 160));

    // What is on disk is what was served: 4 originals + 4 thumbnails, no metadata anywhere.
    let on_disk = stored_files(&app.files_dir);
    assert_eq!(on_disk.len(), 8, "{on_disk:?}");
    for f in &on_disk {
        let b = std::fs::read(f).unwrap();
        assert!(!contains(&b, SECRET_MARKER.as_bytes()), "{}", f.display());
    }
    // Uploads are in the unit's audit trail.
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'file_upload'")
            .await,
        4
    );
}
both!(upload_strips_metadata, metadata_is_stripped);

async fn wrong_types_are_refused(app: &TestApp) {
    let (staff, _) = app
        .staff(
            "files-types",
            Role::PointCoordinator,
            "ft-p-yuanling-hongli",
        )
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>"#.to_vec();
    let pdf =
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF".to_vec();
    let text = "这不是图片，只是改了扩展名的文本 photo.jpg"
        .as_bytes()
        .to_vec();
    // Broken images: a PNG cut off inside its pixel data, a JPEG that ends before its scan.
    let mut truncated_png = encode_png(image::DynamicImage::ImageRgb8(pattern(64, 64)));
    truncated_png.truncate(truncated_png.len() / 2);
    let mut headless_jpeg = jpeg_with_exif(64, 64);
    let sos = headless_jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xDA])
        .unwrap();
    headless_jpeg.truncate(sos);
    let cases: [(&str, &str, Vec<u8>, u16, &str); 7] = [
        ("gif", "image/gif", gif, 415, "unsupported_image_type"),
        ("svg", "image/svg+xml", svg, 415, "unsupported_image_type"),
        ("pdf", "application/pdf", pdf, 415, "unsupported_image_type"),
        (
            "text as .jpg",
            "image/jpeg",
            text,
            415,
            "unsupported_image_type",
        ),
        ("empty", "image/png", Vec::new(), 422, "image_empty"),
        (
            "truncated png",
            "image/png",
            truncated_png,
            422,
            "image_invalid",
        ),
        (
            "jpeg without scan",
            "image/jpeg",
            headless_jpeg,
            422,
            "image_invalid",
        ),
    ];
    for (name, ct, bytes, status, code) in cases {
        let (s, v) = upload(app, Some(&staff), point, "public", ct, bytes).await;
        assert_eq!(s, status, "{name}: {v}");
        assert_eq!(error_code(s, &v), code, "{name}");
    }
    // Parameters are checked too.
    let png = encode_png(image::DynamicImage::ImageRgb8(pattern(4, 4)));
    let (s, v) = upload(
        app,
        Some(&staff),
        point,
        "everyone",
        "image/png",
        png.clone(),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    error_code(s, &v);
    let (s, v) = upload(app, Some(&staff), 999_999, "public", "image/png", png).await;
    assert_eq!(s, 404, "{v}");
    error_code(s, &v);

    assert_eq!(file_count(app).await, 0);
    assert!(stored_files(&app.files_dir).is_empty());
}
both!(wrong_types_refused, wrong_types_are_refused);

async fn limits_hold(app: &TestApp) {
    let (staff, _) = app
        .staff("files-limits", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;

    // A real decompression bomb: 7000×7000 (49 megapixels, over the 40 million limit) of one
    // colour compresses to a few dozen KB but would decode to 147 MB.
    let bomb = encode_png(image::DynamicImage::ImageLuma8(image::GrayImage::new(
        7000, 7000,
    )));
    assert!(bomb.len() < 512 * 1024, "bomb is {} bytes", bomb.len());
    let (s, v) = upload(app, Some(&staff), point, "staff", "image/png", bomb).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(error_code(s, &v), "image_too_many_pixels");
    assert_eq!(v["error"]["details"]["width"], 7000);
    assert_eq!(v["error"]["details"]["max_pixels"], 40_000_000);

    // Headers that lie: a small PNG claiming 100000×100000, a JPEG claiming 60000×60000.
    let mut png = encode_png(image::DynamicImage::ImageRgb8(pattern(8, 8)));
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&pattern(8, 8))
        .unwrap();
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline SOF0");
    jpeg[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    for (name, ct, bytes) in [("png", "image/png", png), ("jpeg", "image/jpeg", jpeg)] {
        let (s, v) = upload(app, Some(&staff), point, "staff", ct, bytes).await;
        assert_eq!(s, 422, "{name}: {v}");
        assert_eq!(error_code(s, &v), "image_too_many_pixels", "{name}");
    }

    // Over the upload limit (8 MB): refused in the error shape, answered while the body is
    // still being sent.
    let mut huge = jpeg_with_exif(16, 16);
    huge.resize(8 * 1024 * 1024 + 1, 0);
    let (s, v) = upload(app, Some(&staff), point, "staff", "image/jpeg", huge).await;
    assert_eq!(s, 413, "{v}");
    assert_eq!(error_code(s, &v), "body_too_large");
    assert_eq!(v["error"]["details"]["max_bytes"], 8 * 1024 * 1024);

    // A declared Content-Length over the limit is answered before any of the body is sent.
    for declared in [8 * 1024 * 1024 + 1, 100 * 1024 * 1024] {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = app.url.trim_start_matches("http://");
        let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /api/v1/files?unit_id={point}&visibility=staff HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: Bearer {staff}\r\nContent-Type: image/jpeg\r\n\
             Content-Length: {declared}\r\n\r\n"
        );
        sock.write_all(head.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), sock.read(&mut buf))
            .await
            .expect("answered without waiting for the body")
            .unwrap();
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(text.starts_with("HTTP/1.1 413"), "{text}");
        let json = text.split("\r\n\r\n").nth(1).unwrap_or("");
        let v: Value = serde_json::from_str(json).unwrap_or_else(|_| panic!("{text}"));
        assert_eq!(error_code(413, &v), "body_too_large");
    }

    // The upload limit is the upload route's own: a valid image over the general 256 KB body
    // limit is accepted, while other routes keep the general limit.
    let noisy = image::RgbImage::from_fn(500, 500, |x, y| {
        let v =
            (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).wrapping_mul(2_246_822_519);
        image::Rgb([(v >> 8) as u8, (v >> 16) as u8, (v >> 24) as u8])
    });
    let noisy = encode_png(image::DynamicImage::ImageRgb8(noisy));
    assert!(
        noisy.len() > 300 * 1024,
        "noise PNG is {} bytes",
        noisy.len()
    );
    let (s, v) = upload(app, Some(&staff), point, "staff", "image/png", noisy).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/activities",
            Some(&staff),
            json!({ "title": "x".repeat(300 * 1024) }),
        )
        .await;
    assert_eq!(s, 413, "{v}");
    assert_eq!(error_code(s, &v), "body_too_large");

    // Only the one good upload was kept.
    assert_eq!(file_count(app).await, 1);
    assert_eq!(stored_files(&app.files_dir).len(), 2);
}
both!(size_and_pixel_limits, limits_hold);

async fn visibility_is_enforced(app: &TestApp) {
    let (coordinator, _) = app
        .staff(
            "files-coord",
            Role::PointCoordinator,
            "ft-p-yuanling-hongli",
        )
        .await;
    let (branch, _) = app
        .staff("files-branch-a", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (other_branch, _) = app
        .staff("files-branch-b", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let (volunteer, _) = app
        .staff("files-volunteer", Role::Volunteer, "ft-p-yuanling-hongli")
        .await;
    let (supervisor, _) = app
        .staff("files-supervisor", Role::DistrictSupervisor, "ft-main")
        .await;
    let (resident, _) = app.sign_in("files-resident").await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let png = || encode_png(image::DynamicImage::ImageRgb8(pattern(30, 20)));

    let (s, v) = upload(app, Some(&coordinator), point, "public", "image/png", png()).await;
    assert_eq!(s, 200, "{v}");
    let public = v["id"].as_i64().unwrap();
    let (s, v) = upload(app, Some(&coordinator), point, "staff", "image/png", png()).await;
    assert_eq!(s, 200, "{v}");
    let staff_only = v["id"].as_i64().unwrap();

    // Who may not upload here.
    for (who, token, status) in [
        ("anonymous", None, 401),
        ("resident", Some(resident.as_str()), 403),
        ("volunteer", Some(volunteer.as_str()), 403),
        ("other branch", Some(other_branch.as_str()), 403),
        ("supervisor", Some(supervisor.as_str()), 403),
    ] {
        let (s, v) = upload(app, token, point, "public", "image/png", png()).await;
        assert_eq!(s, status, "{who}: {v}");
        error_code(s, &v);
    }
    assert_eq!(file_count(app).await, 2);

    // Public files: anyone, cached for long; a stale token does not get in the way.
    for suffix in ["", "/thumb"] {
        let path = format!("/api/v1/files/{public}{suffix}");
        for token in [None, Some(resident.as_str()), Some("expired-or-garbage")] {
            let (s, h, body) = app.fetch(&path, token).await;
            assert_eq!(s, 200, "{path}");
            assert_eq!(
                header(&h, "cache-control"),
                "public, max-age=31536000, immutable"
            );
            assert_eq!(header(&h, "x-content-type-options"), "nosniff");
            assert!(header(&h, "content-type").starts_with("image/"));
            image::load_from_memory(&body).unwrap();
        }
    }
    // Staff files: staff of the unit's line and the district's readers only.
    for suffix in ["", "/thumb"] {
        let path = format!("/api/v1/files/{staff_only}{suffix}");
        for (who, token, status) in [
            ("anonymous", None, 401),
            ("resident", Some(resident.as_str()), 403),
            ("volunteer", Some(volunteer.as_str()), 403),
            ("other branch", Some(other_branch.as_str()), 403),
            ("coordinator", Some(coordinator.as_str()), 200),
            ("branch", Some(branch.as_str()), 200),
            ("supervisor", Some(supervisor.as_str()), 200),
        ] {
            let (s, h, body) = app.fetch(&path, token).await;
            assert_eq!(s, status, "{who} {path}");
            if s == 200 {
                assert_eq!(header(&h, "cache-control"), "private, no-store");
                assert_eq!(header(&h, "x-content-type-options"), "nosniff");
                image::load_from_memory(&body).unwrap();
            } else {
                let v: Value = serde_json::from_slice(&body).unwrap();
                error_code(s, &v);
                assert!(!contains(&body, b"\x89PNG"));
            }
        }
    }
    // Unknown files.
    for path in ["/api/v1/files/999999", "/api/v1/files/999999/thumb"] {
        let (s, _, body) = app.fetch(path, Some(&branch)).await;
        assert_eq!(s, 404);
        assert_eq!(
            error_code(s, &serde_json::from_slice(&body).unwrap()),
            "not_found"
        );
    }
    // Refused reads are security events.
    assert!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'access_denied' AND target LIKE '%/files/%'")
            .await
            > 0
    );

    // Other domains attach files with `for_attachment`: right visibility, a unit the caller
    // may upload to.
    let st = app.state();
    let caller = |t: String| async move {
        culturehub::identity::caller_for_token(&st.db, &t, &st.now())
            .await
            .unwrap()
            .unwrap()
    };
    use culturehub::files::{for_attachment, Visibility};
    let b = caller(branch.clone()).await;
    assert_eq!(
        for_attachment(&st.db, &b, public, Visibility::Public)
            .await
            .unwrap()
            .id,
        public
    );
    for (caller, id, vis) in [
        (&b, public, Visibility::Staff),
        (&b, 999_999, Visibility::Public),
        (
            &caller(other_branch.clone()).await,
            public,
            Visibility::Public,
        ),
        (
            &caller(supervisor.clone()).await,
            staff_only,
            Visibility::Staff,
        ),
    ] {
        let e = for_attachment(&st.db, caller, id, vis).await.unwrap_err();
        assert_eq!(
            (e.status.as_u16(), &*e.code),
            (422, "file_unusable"),
            "{id} {vis:?}"
        );
    }
}
both!(visibility_enforced, visibility_is_enforced);

async fn uploads_are_rate_limited(app: &TestApp) {
    let (staff, _) = app
        .staff("files-rate", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let png = || encode_png(image::DynamicImage::ImageRgb8(pattern(10, 10)));
    for _ in 0..3 {
        let (s, v) = upload(app, Some(&staff), point, "staff", "image/png", png()).await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, v) = upload(app, Some(&staff), point, "staff", "image/png", png()).await;
    assert_eq!(s, 429, "{v}");
    assert_eq!(error_code(s, &v), "rate_limited");
    assert_eq!(file_count(app).await, 3);
    // Another person is not held back.
    let (other, _) = app
        .staff("files-rate-2", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (s, v) = upload(app, Some(&other), point, "staff", "image/png", png()).await;
    assert_eq!(s, 200, "{v}");
}

macro_rules! both_with {
    ($name:ident, $body:path, $tweak:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                if let Some(app) =
                    TestApp::start_with(Backend::Sqlite, stringify!($name), $tweak).await
                {
                    ($body)(&app).await;
                    app.finish().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(app) =
                    TestApp::start_with(Backend::Postgres, stringify!($name), $tweak).await
                {
                    ($body)(&app).await;
                    app.finish().await;
                }
            }
        }
    };
}

both_with!(upload_rate_limit, uploads_are_rate_limited, |s| {
    s.storage.uploads_per_minute = 3
});

// ---------------------------------------------------------------------------------------
// S3-compatible storage, against the fake that checks signatures.

const S3_KEY: &str = "AKTESTFILES";
const S3_SECRET: &str = "the-right-secret";

fn s3_settings(s: &mut culturehub::config::Settings, endpoint: &str, secret: &str) {
    s.storage.backend = "s3".into();
    s.storage.s3.endpoint = endpoint.into();
    s.storage.s3.bucket = "culturehub-test".into();
    s.storage.s3.region = "cn-south-1".into();
    s.storage.s3.access_key_id = S3_KEY.into();
    s.storage.s3.secret_access_key = secret.into();
    s.storage.s3.prefix = "uploads".into();
}

async fn s3_case(backend: Backend, test: &str) {
    let fake = FakeS3::new(S3_KEY, S3_SECRET, "cn-south-1", "culturehub-test");
    let endpoint = fake.spawn(0).await.unwrap();

    // Right secret: stored in the bucket, read back through the API.
    let Some(app) =
        TestApp::start_with(backend, test, |s| s3_settings(s, &endpoint, S3_SECRET)).await
    else {
        return;
    };
    let (staff, _) = app
        .staff("files-s3", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (s, v) = upload(
        &app,
        Some(&staff),
        point,
        "staff",
        "image/jpeg",
        jpeg_with_exif(40, 20),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let id = v["id"].as_i64().unwrap();
    let keys = fake.keys();
    assert_eq!(keys.len(), 2, "original and thumbnail: {keys:?}");
    assert!(keys.iter().all(|k| k.starts_with("uploads/")), "{keys:?}");
    let key: String = sqlx::query_scalar("SELECT storage_key FROM files WHERE id = $1")
        .bind(id)
        .fetch_one(app.state().db.pool())
        .await
        .unwrap();
    let object = fake
        .object(&format!("uploads/{key}"))
        .expect("original in the bucket");
    assert_eq!(object.content_type, "image/jpeg");
    assert!(!contains(&object.bytes, SECRET_MARKER.as_bytes()));
    let (s, h, body) = app
        .fetch(&format!("/api/v1/files/{id}"), Some(&staff))
        .await;
    assert_eq!(s, 200);
    assert_eq!(header(&h, "content-type"), "image/jpeg");
    assert_eq!(body, object.bytes);
    let (s, _, _) = app
        .fetch(&format!("/api/v1/files/{id}/thumb"), Some(&staff))
        .await;
    assert_eq!(s, 200);
    assert!(
        stored_files(&app.files_dir).is_empty(),
        "nothing on local disk with S3"
    );
    // A blob lost behind the service's back is a 404, not a 500.
    fake.remove(&format!("uploads/{key}"));
    let (s, _, body) = app
        .fetch(&format!("/api/v1/files/{id}"), Some(&staff))
        .await;
    assert_eq!(s, 404);
    error_code(s, &serde_json::from_slice(&body).unwrap());
    // The bucket refusing the key (a policy change): 502 in the error shape, nothing kept.
    fake.set_deny_all(true);
    let (s, v) = upload(
        &app,
        Some(&staff),
        point,
        "staff",
        "image/png",
        png_with_exif(8, 8),
    )
    .await;
    assert_eq!(s, 502, "{v}");
    assert_eq!(error_code(s, &v), "storage_failed");
    fake.set_deny_all(false);
    assert_eq!(file_count(&app).await, 1);
    app.finish().await;

    // Wrong secret: the fake answers SignatureDoesNotMatch; the service answers 502 in the
    // error shape, and neither the bucket nor the table gains anything.
    let Some(app) = TestApp::start_with(backend, test, |s| {
        s3_settings(s, &endpoint, "a-wrong-secret")
    })
    .await
    else {
        return;
    };
    let (staff, _) = app
        .staff("files-s3-wrong", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let before = fake.keys().len();
    let requests = fake.requests();
    let (s, v) = upload(
        &app,
        Some(&staff),
        point,
        "public",
        "image/jpeg",
        jpeg_with_exif(40, 20),
    )
    .await;
    assert_eq!(s, 502, "{v}");
    assert_eq!(error_code(s, &v), "storage_failed");
    assert!(
        !v.to_string().contains("SignatureDoesNotMatch"),
        "store's words leak: {v}"
    );
    assert!(fake.requests() > requests, "the fake was asked");
    assert_eq!(fake.keys().len(), before);
    assert_eq!(file_count(&app).await, 0);
    app.finish().await;

    // Unreachable store: 503, try again later.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let Some(app) = TestApp::start_with(backend, test, |s| {
        s3_settings(s, &format!("http://127.0.0.1:{port}"), S3_SECRET)
    })
    .await
    else {
        return;
    };
    let (staff, _) = app
        .staff("files-s3-down", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let (s, v) = upload(
        &app,
        Some(&staff),
        point,
        "public",
        "image/png",
        png_with_exif(8, 8),
    )
    .await;
    assert_eq!(s, 503, "{v}");
    assert_eq!(error_code(s, &v), "storage_unavailable");
    assert_eq!(file_count(&app).await, 0);
    app.finish().await;
}

mod s3_backend {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        s3_case(Backend::Sqlite, "s3_backend").await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres() {
        s3_case(Backend::Postgres, "s3_backend").await;
    }
}

// Start-up refuses a half-configured S3 store with a clear message.
#[test]
fn incomplete_s3_settings_are_refused_at_start() {
    let mut s = culturehub_tests::test_settings();
    s.storage.backend = "s3".into();
    s.storage.s3.endpoint = "http://127.0.0.1:1".into();
    s.storage.s3.bucket = "culturehub".into();
    let e = s.validate().unwrap_err().to_string();
    assert!(e.contains("访问密钥"), "{e}");
}

/// Activities take an uploaded poster by file id: a public image of a unit where the caller may
/// upload; its path becomes the activity's `poster_url`, readable by anyone.
async fn posters_by_file_id(app: &TestApp) {
    let (branch, _) = app
        .staff("poster-branch", Role::BranchStaff, "ft-b-yuanling")
        .await;
    let (other, _) = app
        .staff("poster-other", Role::BranchStaff, "ft-b-nanyuan")
        .await;
    let yuanling = app.unit_id("ft-b-yuanling").await;
    let nanyuan = app.unit_id("ft-b-nanyuan").await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let png = || encode_png(image::DynamicImage::ImageRgb8(pattern(40, 30)));
    let id_of = |v: Value| v["id"].as_i64().unwrap();
    let (_, v) = upload(app, Some(&branch), yuanling, "public", "image/png", png()).await;
    let poster = id_of(v);
    let (_, v) = upload(app, Some(&branch), point, "public", "image/png", png()).await;
    let second = id_of(v);
    let (_, v) = upload(app, Some(&branch), yuanling, "staff", "image/png", png()).await;
    let staff_only = id_of(v);
    let (_, v) = upload(app, Some(&other), nanyuan, "public", "image/png", png()).await;
    let foreign = id_of(v);
    let body = |extra: Value| {
        let start = culturehub_tests::at(app, 3 * 24 * 60);
        let end = culturehub_tests::at(app, 3 * 24 * 60 + 90);
        let mut b = json!({
            "title": "剪纸艺术展", "kind": "exhibition", "organizer_unit_id": yuanling,
            "booking_mode": "none",
            "sessions": [{"unit_id": point, "starts_at": start, "ends_at": end}],
        });
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let (s, a) = app
        .post(
            "/api/v1/activities",
            Some(&branch),
            body(json!({"poster_file_id": poster})),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["poster_file_id"], poster);
    assert_eq!(a["poster_url"], format!("/api/v1/files/{poster}"));
    // Anyone can read it once published (it is a public file).
    app.post(
        &format!("/api/v1/activities/{id}/publish"),
        Some(&branch),
        json!({}),
    )
    .await;
    let (_, pub_view) = app.get(&format!("/api/v1/activities/{id}"), None).await;
    let url = pub_view["activity"]["poster_url"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, h, bytes) = app.fetch(&url, None).await;
    assert_eq!(s, 200);
    assert_eq!(header(&h, "content-type"), "image/png");
    assert!(image::load_from_memory(&bytes).is_ok());

    // Replaced by another file, then by an address (which drops the file).
    let (s, v) = app
        .call(
            "PATCH",
            &format!("/api/v1/activities/{id}"),
            Some(&branch),
            Some(json!({"poster_file_id": second})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["poster_file_id"], second);
    assert_eq!(v["poster_url"], format!("/api/v1/files/{second}"));
    let (s, v) = app
        .call(
            "PATCH",
            &format!("/api/v1/activities/{id}"),
            Some(&branch),
            Some(json!({"poster_url": "https://example.org/p.jpg"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["poster_file_id"], Value::Null);
    assert_eq!(v["poster_url"], "https://example.org/p.jpg");
    // A title-only patch leaves the poster alone.
    let (_, v) = app
        .call(
            "PATCH",
            &format!("/api/v1/activities/{id}"),
            Some(&branch),
            Some(json!({"poster_file_id": poster})),
        )
        .await;
    assert_eq!(v["poster_file_id"], poster);
    let (_, v) = app
        .call(
            "PATCH",
            &format!("/api/v1/activities/{id}"),
            Some(&branch),
            Some(json!({"title": "剪纸艺术展（延期）"})),
        )
        .await;
    assert_eq!(v["poster_file_id"], poster);
    assert_eq!(v["poster_url"], format!("/api/v1/files/{poster}"));

    // Files the caller may not use, and both kinds at once.
    for (extra, code) in [
        (json!({"poster_file_id": staff_only}), "file_unusable"),
        (json!({"poster_file_id": foreign}), "file_unusable"),
        (json!({"poster_file_id": 999_999}), "file_unusable"),
        (
            json!({"poster_file_id": poster, "poster_url": "https://example.org/p.jpg"}),
            "validation_failed",
        ),
    ] {
        let (s, v) = app
            .post("/api/v1/activities", Some(&branch), body(extra.clone()))
            .await;
        assert_eq!(error_code(s, &v), code, "create {extra}: {v}");
        let (s, v) = app
            .call(
                "PATCH",
                &format!("/api/v1/activities/{id}"),
                Some(&branch),
                Some(extra.clone()),
            )
            .await;
        assert_eq!(error_code(s, &v), code, "update {extra}: {v}");
    }
    let (_, v) = app.get(&format!("/api/v1/activities/{id}"), None).await;
    assert_eq!(
        v["activity"]["poster_file_id"], poster,
        "refusals changed nothing"
    );
}
both!(posters_by_file, posters_by_file_id);
