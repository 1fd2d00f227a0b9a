//! Tables staff download, as CSV or as an Excel workbook (xlsx), from one row model.
//!
//! Every export goes through `Table`, so every text cell passes through `safe_cell`: a value a
//! resident typed that begins with `=`, `+`, `-`, `@`, a tab or a carriage return cannot become a
//! formula in a staff member's spreadsheet (CSV/formula injection, OWASP). Numbers are written
//! as numbers, never as text, so they need no neutralising.

use crate::error::{ApiError, ApiResult};
use std::borrow::Cow;

/// Characters that make a spreadsheet treat a cell as a formula (or that some programs strip
/// before looking at the next one).
const DANGEROUS_FIRST: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell that no spreadsheet will evaluate: a dangerous first character is prefixed with
/// an apostrophe, the conventional "this is text" marker that Excel and WPS hide.
pub fn safe_cell(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some(c) if DANGEROUS_FIRST.contains(&c) => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}
impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}
impl From<f64> for Cell {
    fn from(n: f64) -> Self {
        Cell::Num(n)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Cell::Empty)
    }
}
impl From<bool> for Cell {
    /// Yes/no as staff read it.
    fn from(b: bool) -> Self {
        Cell::Text(if b { "是" } else { "否" }.into())
    }
}

impl Cell {
    /// The cell as CSV text (neutralised; numbers plain).
    fn csv_text(&self) -> String {
        match self {
            Cell::Text(s) => safe_cell(s).into_owned(),
            Cell::Int(n) => n.to_string(),
            // Hours and averages read `5.0`, not `5`, as staff are used to.
            Cell::Num(n) if n.fract() == 0.0 => format!("{n:.1}"),
            Cell::Num(n) => format!("{n}"),
            Cell::Empty => String::new(),
        }
    }
}

/// A named table: one CSV file, or one sheet of a workbook.
#[derive(Debug, Clone)]
pub struct Table {
    /// Sheet name (at most 31 characters, no `[]:*?/\`; see `sheet_name`).
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(name: &str, headers: &[&str]) -> Self {
        Table {
            name: name.to_string(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// CSV with a UTF-8 byte-order mark, so Excel and WPS open Chinese text correctly.
    pub fn csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(self.headers.iter().map(|h| safe_cell(h).into_owned()));
        for row in &self.rows {
            let _ = w.write_record(row.iter().map(Cell::csv_text));
        }
        let bytes = w.into_inner().unwrap_or_default();
        format!("\u{feff}{}", String::from_utf8_lossy(&bytes))
    }
}

/// A sheet name Excel accepts: forbidden characters replaced, at most 31 characters, unique.
fn sheet_name(name: &str, taken: &[String]) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(28)
        .collect();
    let base = if cleaned.trim().is_empty() {
        "Sheet".to_string()
    } else {
        cleaned
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t == &candidate) {
        candidate = format!("{base}{n}");
        n += 1;
    }
    candidate
}

fn xlsx_fail(e: rust_xlsxwriter::XlsxError) -> ApiError {
    tracing::error!(error = %e, "xlsx export failed");
    ApiError::internal()
}

/// A sheet being written: where the next row goes and the width each column needs so far.
struct SheetState {
    next_row: u32,
    widths: Vec<usize>,
}

/// Starts a sheet: its name and bold header row.
fn begin_sheet(
    ws: &mut rust_xlsxwriter::Worksheet,
    t: &Table,
    name: &str,
    bold: &rust_xlsxwriter::Format,
) -> ApiResult<SheetState> {
    ws.set_name(name).map_err(xlsx_fail)?;
    for (c, h) in t.headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, safe_cell(h), bold)
            .map_err(xlsx_fail)?;
    }
    Ok(SheetState {
        next_row: 1,
        widths: t.headers.iter().map(|h| display_width(h)).collect(),
    })
}

/// Appends rows in order, which is all a constant-memory worksheet accepts.
fn write_rows(
    ws: &mut rust_xlsxwriter::Worksheet,
    st: &mut SheetState,
    rows: &[Vec<Cell>],
) -> ApiResult<()> {
    for row in rows {
        let r = st.next_row;
        st.next_row += 1;
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            match cell {
                Cell::Text(s) => {
                    let s = safe_cell(s);
                    if let Some(w) = st.widths.get_mut(c) {
                        *w = (*w).max(display_width(&s));
                    }
                    ws.write_string(r, col, s).map_err(xlsx_fail)?;
                }
                Cell::Int(n) => {
                    ws.write_number(r, col, *n as f64).map_err(xlsx_fail)?;
                }
                Cell::Num(n) => {
                    ws.write_number(r, col, *n).map_err(xlsx_fail)?;
                }
                Cell::Empty => {}
            }
        }
    }
    Ok(())
}

/// Columns sized to their text, header row frozen. These go into the sheet's head, which is
/// assembled at save time, so they are set after the rows (also in constant-memory mode).
fn end_sheet(ws: &mut rust_xlsxwriter::Worksheet, st: &SheetState) -> ApiResult<()> {
    for (c, w) in st.widths.iter().enumerate() {
        ws.set_column_width(c as u16, (*w as f64 + 2.0).min(60.0))
            .map_err(xlsx_fail)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xlsx_fail)?;
    Ok(())
}

/// One sheet: bold, frozen header row, columns sized to their text.
fn write_sheet(
    ws: &mut rust_xlsxwriter::Worksheet,
    t: &Table,
    name: &str,
    bold: &rust_xlsxwriter::Format,
) -> ApiResult<()> {
    let mut st = begin_sheet(ws, t, name, bold)?;
    write_rows(ws, &mut st, &t.rows)?;
    end_sheet(ws, &st)
}

/// One workbook with a sheet per table, built in memory (fine for the small exports: a roster,
/// one table). The ledger workbook streams instead (`xlsx_stream`).
pub fn xlsx(tables: &[Table]) -> ApiResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let mut names: Vec<String> = Vec::new();
    for t in tables {
        let name = sheet_name(&t.name, &names);
        names.push(name.clone());
        write_sheet(wb.add_worksheet(), t, &name, &bold)?;
    }
    if tables.is_empty() {
        wb.add_worksheet();
    }
    wb.save_to_buffer().map_err(xlsx_fail)
}

/// What the producer of a streamed workbook sends.
pub enum Sheet {
    /// The next sheet, with its rows so far (sheets are numbered from 0 in the order sent).
    Table(Table),
    /// More rows for sheet `n`, after those it has. Sheets may be filled alternately.
    Rows(usize, Vec<Vec<Cell>>),
    /// That was all: write the zip.
    Done,
}

/// A workbook that never exists whole in memory (D216): each table is written, as it arrives,
/// into a constant-memory worksheet (rows go to a temp file as they are written, strings inline)
/// and dropped, and so is each later part of rows; when `Done` arrives the zip is produced
/// straight into `out`, whose writes go to the client as they happen (the zip is written as a
/// stream, no seeking). Memory is bounded by the largest message and a few buffers, not by the
/// workbook. Runs on a blocking thread.
///
/// If the sender goes away without `Done` (a query failed), nothing is written and the temp
/// files are removed.
pub fn xlsx_stream(
    mut sheets: tokio::sync::mpsc::Receiver<Sheet>,
    out: impl std::io::Write + Send,
) -> ApiResult<()> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let mut names: Vec<String> = Vec::new();
    let mut states: Vec<SheetState> = Vec::new();
    loop {
        match sheets.blocking_recv() {
            Some(Sheet::Table(t)) => {
                let name = sheet_name(&t.name, &names);
                names.push(name.clone());
                let ws = wb.add_worksheet_with_constant_memory().map_err(xlsx_fail)?;
                let mut st = begin_sheet(ws, &t, &name, &bold)?;
                write_rows(ws, &mut st, &t.rows)?;
                states.push(st);
            }
            Some(Sheet::Rows(n, rows)) => {
                let st = states.get_mut(n).ok_or_else(ApiError::internal)?;
                let ws = wb.worksheet_from_index(n).map_err(xlsx_fail)?;
                write_rows(ws, st, &rows)?;
            }
            Some(Sheet::Done) => break,
            None => return Err(ApiError::internal()),
        }
    }
    for (n, st) in states.iter().enumerate() {
        end_sheet(wb.worksheet_from_index(n).map_err(xlsx_fail)?, st)?;
    }
    if names.is_empty() {
        wb.add_worksheet();
    }
    wb.save_to_writer(out).map_err(xlsx_fail)
}

/// A `Write` that hands the bytes to an HTTP body in chunks of `CHUNK` bytes. The channel is
/// bounded, so a slow client slows the writer instead of piling chunks up in memory.
pub struct ChunkWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<bytes::Bytes>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl ChunkWriter {
    pub fn new(tx: tokio::sync::mpsc::Sender<std::io::Result<bytes::Bytes>>) -> Self {
        ChunkWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        }
    }

    fn send_buf(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = bytes::Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }

    /// Sends what is left; then the body ends.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.send_buf()
    }

    /// Ends the body with an error, so the client sees a broken download rather than a
    /// truncated file that looks complete.
    pub fn abort(self) {
        let _ = self
            .tx
            .blocking_send(Err(std::io::Error::other("xlsx export failed")));
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send_buf()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Approximate column width: CJK characters take two columns.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// The media type of an xlsx download.
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `format=csv` (the default) or `format=xlsx` on every export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, poem_openapi::Enum)]
#[oai(rename_all = "lowercase")]
pub enum ExportFormat {
    #[default]
    Csv,
    Xlsx,
}

/// A file to download: CSV or xlsx bytes with a file name. One response type for every export,
/// so each documents both media types under its single 200 answer.
pub struct Download {
    bytes: Vec<u8>,
    content_type: &'static str,
    filename: String,
}

impl Download {
    /// One table in the asked format; `stem` is the file name without extension (ASCII).
    pub fn table(t: &Table, format: Option<ExportFormat>, stem: &str) -> ApiResult<Self> {
        match format.unwrap_or_default() {
            ExportFormat::Csv => Ok(Download {
                bytes: t.csv().into_bytes(),
                content_type: "text/csv; charset=utf-8",
                filename: format!("{stem}.csv"),
            }),
            ExportFormat::Xlsx => Ok(Download::xlsx(xlsx(std::slice::from_ref(t))?, stem)),
        }
    }

    /// A workbook already written.
    pub fn xlsx(bytes: Vec<u8>, stem: &str) -> Self {
        Download {
            bytes,
            content_type: XLSX_MIME,
            filename: format!("{stem}.xlsx"),
        }
    }
}

impl poem::IntoResponse for Download {
    fn into_response(self) -> poem::Response {
        poem::Response::builder()
            .content_type(self.content_type)
            // Exports carry personal data (masked, but still): never kept by a cache.
            .header("cache-control", "private, no-store")
            .header("x-content-type-options", "nosniff")
            .header(
                "content-disposition",
                format!("attachment; filename=\"{}\"", self.filename),
            )
            .body(self.bytes)
    }
}

impl poem_openapi::ApiResponse for Download {
    fn meta() -> poem_openapi::registry::MetaResponses {
        use poem_openapi::registry::{
            MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef,
        };
        let schema = |format: Option<&'static str>| {
            MetaSchemaRef::Inline(Box::new(MetaSchema {
                format,
                ..MetaSchema::new("string")
            }))
        };
        MetaResponses {
            responses: vec![MetaResponse {
                description:
                    "The file: CSV (UTF-8 with BOM) or an xlsx workbook, as `format` asks.",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType {
                        content_type: "text/csv; charset=utf-8",
                        schema: schema(None),
                    },
                    MetaMediaType {
                        content_type: XLSX_MIME,
                        schema: schema(Some("binary")),
                    },
                ],
                headers: vec![],
            }],
        }
    }

    fn register(_registry: &mut poem_openapi::registry::Registry) {}
}

/// The printable sign-in sheet (签到表): a title, a line of particulars, then one row per person
/// with an empty signature column; A4 portrait, fitted to the page width, header rows repeated
/// on every printed page, gridlines printed.
pub struct SignInSheet<'a> {
    pub title: &'a str,
    pub subtitle: &'a str,
    /// (name, phone) per row, both already masked.
    pub rows: &'a [(String, String)],
}

pub fn sign_in_sheet(sheet: &SignInSheet<'_>) -> ApiResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| {
        tracing::error!(error = %e, "xlsx sign-in sheet failed");
        ApiError::internal()
    };
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("签到表").map_err(fail)?;
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let sub = Format::new().set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter);
    ws.merge_range(0, 0, 0, 4, &safe_cell(sheet.title), &title)
        .map_err(fail)?;
    ws.set_row_height(0, 30).map_err(fail)?;
    ws.merge_range(1, 0, 1, 4, &safe_cell(sheet.subtitle), &sub)
        .map_err(fail)?;
    for (c, h) in ["序号", "姓名", "手机号", "签名", "备注"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(2, c as u16, *h, &head)
            .map_err(fail)?;
    }
    for (i, (name, phone)) in sheet.rows.iter().enumerate() {
        let r = (i + 3) as u32;
        ws.write_number_with_format(r, 0, (i + 1) as f64, &cell)
            .map_err(fail)?;
        ws.write_string_with_format(r, 1, safe_cell(name), &cell)
            .map_err(fail)?;
        ws.write_string_with_format(r, 2, safe_cell(phone), &cell)
            .map_err(fail)?;
        // Signature and note stay empty, but bordered, for pen on paper.
        ws.write_blank(r, 3, &cell).map_err(fail)?;
        ws.write_blank(r, 4, &cell).map_err(fail)?;
        ws.set_row_height(r, 28).map_err(fail)?;
    }
    for (c, w) in [6.0, 14.0, 16.0, 26.0, 16.0].iter().enumerate() {
        ws.set_column_width(c as u16, *w).map_err(fail)?;
    }
    ws.set_paper_size(9); // A4
    ws.set_portrait();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 2).map_err(fail)?;
    ws.set_print_center_horizontally(true);
    ws.set_margins(0.5, 0.5, 0.6, 0.6, 0.3, 0.3);
    ws.set_footer("&C第 &P 页 / 共 &N 页");
    wb.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangerous_first_characters_are_neutralised() {
        for s in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            let out = safe_cell(s);
            assert!(out.starts_with('\''), "{s:?} → {out:?}");
            assert_eq!(&out[1..], s);
        }
        assert_eq!(safe_cell("书法讲座"), "书法讲座");
        assert_eq!(safe_cell(""), "");
        assert_eq!(safe_cell("a=b"), "a=b");
    }

    #[test]
    fn csv_neutralises_text_but_not_numbers() {
        let mut t = Table::new("x", &["文本", "数"]);
        t.push(vec!["=1+1".into(), Cell::Int(-5)]);
        let csv = t.csv();
        assert!(csv.starts_with('\u{feff}'));
        assert!(csv.contains("'=1+1,-5"), "{csv}");
    }

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let taken = vec!["活动".to_string()];
        assert_eq!(sheet_name("活动", &taken), "活动2");
        assert_eq!(sheet_name("a/b:c", &[]), "a_b_c");
        assert_eq!(sheet_name("   ", &[]), "Sheet");
        assert!(sheet_name(&"长".repeat(40), &[]).chars().count() <= 31);
    }

    #[test]
    fn streamed_workbook_is_a_zip_with_every_sheet() {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let (btx, mut brx) = tokio::sync::mpsc::channel(1024);
        let writer = std::thread::spawn(move || {
            let mut out = ChunkWriter::new(btx);
            xlsx_stream(rx, &mut out).expect("stream");
            out.finish().expect("finish");
        });
        for n in 0..3 {
            let mut t = Table::new("台账", &["名称", "数"]);
            for i in 0..5000 {
                t.push(vec![format!("=行{i}").into(), Cell::Int(i)]);
            }
            assert!(tx.blocking_send(Sheet::Table(t)).is_ok(), "sheet {n}");
        }
        // Later parts for two sheets, alternately.
        for n in [0, 2, 0] {
            let rows = (0..100).map(|i| vec![Cell::Int(i)]).collect();
            assert!(tx.blocking_send(Sheet::Rows(n, rows)).is_ok());
        }
        assert!(tx.blocking_send(Sheet::Done).is_ok());
        writer.join().expect("writer");
        let mut bytes = Vec::new();
        while let Ok(Ok(chunk)) = brx.try_recv() {
            bytes.extend_from_slice(&chunk);
        }
        assert_eq!(&bytes[..2], b"PK");
        // Three sheets, uniquely named, in a zip that ends with its central directory.
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("xl/worksheets/sheet3.xml"));
        assert!(bytes.windows(4).any(|w| w == [0x50, 0x4b, 0x05, 0x06]));
    }

    #[test]
    fn an_unfinished_stream_writes_nothing() {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        assert!(tx
            .blocking_send(Sheet::Table(Table::new("x", &["a"])))
            .is_ok());
        drop(tx);
        let mut out = Vec::new();
        assert!(xlsx_stream(rx, &mut out).is_err());
        assert!(out.is_empty());
    }

    #[test]
    fn workbook_is_a_zip() {
        let mut t = Table::new("台账", &["名称"]);
        t.push(vec!["@x".into()]);
        let bytes = xlsx(&[t]).expect("xlsx");
        assert_eq!(&bytes[..2], b"PK");
    }
}
