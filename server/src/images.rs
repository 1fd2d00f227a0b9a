//! Uploaded images made safe to keep and to serve: JPEG, PNG and WebP only, recognised by
//! their bytes (never by the client's word); a byte limit, and a pixel limit checked from the
//! header before any pixel is decoded (decompression bombs); then decoded, turned upright by
//! the EXIF orientation, and encoded again from pixels alone, so EXIF (GPS position, camera,
//! time), XMP, IPTC, comments and text chunks are gone. Plus a thumbnail. Plain functions: no
//! I/O, no async; `files` runs them on the blocking pool.

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use std::io::Cursor;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
}

/// Recognises the three accepted formats by their signatures.
pub fn sniff(b: &[u8]) -> Option<Kind> {
    if b.len() >= 3 && b[..3] == [0xFF, 0xD8, 0xFF] {
        Some(Kind::Jpeg)
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some(Kind::Webp)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_pixels: u64,
    /// Originals larger than this on the long side are scaled down.
    pub max_edge: u32,
    pub thumb_edge: u32,
}

impl Limits {
    pub fn from_settings(s: &crate::config::StorageSettings) -> Limits {
        Limits {
            max_bytes: s.max_upload_bytes,
            max_pixels: s.max_pixels,
            max_edge: s.max_edge_px,
            thumb_edge: s.thumb_px,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("没有收到图片内容")]
    Empty,
    #[error("图片太大（最大 {limit} 字节）")]
    TooLarge { limit: usize },
    #[error("只接受 JPEG、PNG 或 WebP 图片")]
    Unsupported,
    #[error("图片尺寸 {width}×{height} 超过上限（最多 {limit} 像素）")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    #[error("图片已损坏或无法读取")]
    Invalid(String),
}

/// One encoded image.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub ext: &'static str,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone)]
pub struct Processed {
    pub original: Encoded,
    pub thumb: Encoded,
}

const JPEG_QUALITY: u8 = 85;
const THUMB_QUALITY: u8 = 80;

/// Validates, decodes, orients, re-encodes and thumbnails one upload.
pub fn process(bytes: &[u8], limits: &Limits) -> Result<Processed, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(ImageError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let kind = sniff(bytes).ok_or(ImageError::Unsupported)?;
    let format = match kind {
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Png => ImageFormat::Png,
        Kind::Webp => ImageFormat::WebP,
    };
    let invalid = |e: image::ImageError| ImageError::Invalid(e.to_string());
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    // The decoder's own allocation cap backs up the pixel check below.
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8) + (64 << 20));
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(invalid)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(ImageError::Invalid("empty image".into()));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(ImageError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(invalid)?;
    img.apply_orientation(orientation);
    if img.width().max(img.height()) > limits.max_edge {
        img = img.resize(
            limits.max_edge,
            limits.max_edge,
            image::imageops::FilterType::Triangle,
        );
    }
    // PNG stays PNG (posters with text and flat colour), JPEG stays JPEG; WebP becomes JPEG,
    // or PNG when it uses transparency (the `image` crate writes only lossless WebP).
    let keep_png = match kind {
        Kind::Png => true,
        Kind::Jpeg => false,
        Kind::Webp => uses_alpha(&img),
    };
    let original = encode(&img, keep_png, JPEG_QUALITY).map_err(invalid)?;
    // Small images are their own thumbnail: never scaled up.
    let thumb_img = if img.width().max(img.height()) > limits.thumb_edge {
        img.thumbnail(limits.thumb_edge, limits.thumb_edge)
    } else {
        img.clone()
    };
    let thumb_png = keep_png && uses_alpha(&thumb_img);
    let thumb = encode(&thumb_img, thumb_png, THUMB_QUALITY).map_err(invalid)?;
    Ok(Processed { original, thumb })
}

fn uses_alpha(img: &DynamicImage) -> bool {
    img.color().has_alpha() && img.to_rgba8().pixels().any(|p| p.0[3] < 255)
}

/// Encodes pixels only: neither encoder writes EXIF, XMP, ICC or text.
fn encode(img: &DynamicImage, png: bool, quality: u8) -> Result<Encoded, image::ImageError> {
    let mut out = Vec::new();
    if png {
        let pixels = if img.color().has_alpha() {
            DynamicImage::ImageRgba8(img.to_rgba8())
        } else {
            DynamicImage::ImageRgb8(img.to_rgb8())
        };
        pixels.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)?;
        Ok(Encoded {
            bytes: out,
            content_type: "image/png",
            ext: "png",
            width: img.width(),
            height: img.height(),
        })
    } else {
        JpegEncoder::new_with_quality(&mut out, quality).encode_image(&img.to_rgb8())?;
        Ok(Encoded {
            bytes: out,
            content_type: "image/jpeg",
            ext: "jpg",
            width: img.width(),
            height: img.height(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_bytes: 1 << 20,
            max_pixels: 1_000_000,
            max_edge: 1024,
            thumb_edge: 64,
        }
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 7) as u8, (y * 5) as u8, 90])
        }));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(&png(2, 2)), Some(Kind::Png));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some(Kind::Jpeg));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8L"), Some(Kind::Webp));
        assert_eq!(sniff(b"GIF89a......"), None);
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), None);
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), None);
    }

    #[test]
    fn re_encodes_and_thumbnails() {
        let p = process(&png(300, 150), &limits()).unwrap();
        assert_eq!((p.original.width, p.original.height), (300, 150));
        assert_eq!(p.original.content_type, "image/png");
        assert_eq!((p.thumb.width, p.thumb.height), (64, 32));
        assert_eq!(p.thumb.content_type, "image/jpeg");
        assert_eq!(sniff(&p.thumb.bytes), Some(Kind::Jpeg));
        // Never scaled up.
        let p = process(&png(40, 30), &limits()).unwrap();
        assert_eq!((p.thumb.width, p.thumb.height), (40, 30));
    }

    #[test]
    fn refuses_what_it_must() {
        let l = limits();
        assert_eq!(process(b"", &l).unwrap_err(), ImageError::Empty);
        assert_eq!(process(b"GIF89a", &l).unwrap_err(), ImageError::Unsupported);
        assert!(matches!(
            process(&vec![0xFF; (1 << 20) + 1], &l).unwrap_err(),
            ImageError::TooLarge { .. }
        ));
        assert!(matches!(
            process(&png(1001, 1000), &l).unwrap_err(),
            ImageError::TooManyPixels {
                width: 1001,
                height: 1000,
                ..
            }
        ));
        let mut truncated = png(40, 40);
        truncated.truncate(60);
        assert!(matches!(
            process(&truncated, &l).unwrap_err(),
            ImageError::Invalid(_)
        ));
    }

    #[test]
    fn scales_down_huge_originals() {
        let l = Limits {
            max_edge: 1024,
            ..limits()
        };
        let p = process(
            &png(2000, 400),
            &Limits {
                max_pixels: 10_000_000,
                ..l
            },
        )
        .unwrap();
        assert_eq!((p.original.width, p.original.height), (1024, 205));
    }
}
