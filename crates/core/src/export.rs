//! Exports: residents to CSV or XLSX, and the blank roster template. No cell ever starts a
//! formula, and every export of personal data is a command (audit entry and outbox op), so the
//! district can see who took which list.

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde_json::json;

use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::residents::{self, Filter, Resident};

/// The exported columns: the same headers the importer recognises, so an export re-imports.
pub const COLUMNS: [&str; 14] = [
    "姓名",
    "性别",
    "身份证号码",
    "联系电话",
    "出生日期",
    "所属街道",
    "所属社区",
    "网格",
    "楼栋",
    "单元",
    "房号",
    "住址",
    "人员类别",
    "备注",
];
/// The template's columns; identity number and phone are formatted as text.
const TEMPLATE: [&str; 11] = [
    "姓名",
    "性别",
    "身份证号码",
    "联系电话",
    "所属社区",
    "网格",
    "楼栋",
    "单元",
    "房号",
    "人员类别",
    "备注",
];

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage return)
/// gets a leading apostrophe, which Excel and LibreOffice show as plain text.
pub fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn cells(r: &Resident, attribute_keys: &[String]) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut row = vec![
        r.name.clone(),
        r.sex
            .map(|s| if s == residents::Sex::Male { "男" } else { "女" }.to_owned())
            .unwrap_or_default(),
        o(&r.id_number),
        o(&r.phone),
        r.birth_date.map(|d| d.to_string()).unwrap_or_default(),
        o(&r.street),
        o(&r.community),
        o(&r.grid),
        o(&r.building),
        o(&r.unit),
        o(&r.room),
        o(&r.address),
        r.tags.join("、"),
        o(&r.notes),
    ];
    row.extend(attribute_keys.iter().map(|k| r.attributes.get(k).cloned().unwrap_or_default()));
    row
}

fn attribute_keys(store: &crate::Store) -> Result<Vec<String>> {
    let mut stmt = store.conn().prepare(
        "SELECT DISTINCT j.key FROM residents r, json_each(r.attributes) j
         WHERE r.deleted = 0 AND r.attributes IS NOT NULL ORDER BY j.key",
    )?;
    let keys = stmt.query_map([], |r| r.get(0))?;
    Ok(keys.collect::<rusqlite::Result<_>>()?)
}

fn xlsx_err(e: XlsxError) -> CoreError {
    CoreError::Export(e.to_string())
}

/// Writes the residents `filter` selects to `path` (`.csv` or `.xlsx`, by extension) and
/// records the export. Returns how many residents were written.
pub fn export_residents(ctx: &mut Ctx<'_>, path: &Path, filter: &Filter) -> Result<u64> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let keys = attribute_keys(ctx.store)?;
    let header: Vec<String> =
        COLUMNS.iter().map(|s| (*s).to_owned()).chain(keys.iter().cloned()).collect();
    let n = match ext.as_deref() {
        Some("csv") => {
            let file = std::fs::File::create(path)?;
            let mut out = std::io::BufWriter::new(file);
            // A BOM, so Excel on Chinese Windows opens UTF-8 as UTF-8.
            std::io::Write::write_all(&mut out, b"\xEF\xBB\xBF")?;
            let mut csv = csv::Writer::from_writer(out);
            let csv_err = |e: csv::Error| CoreError::Export(e.to_string());
            csv.write_record(&header).map_err(csv_err)?;
            let n = residents::for_each(ctx.store, filter, &mut |r| {
                let row = cells(&r, &keys);
                csv.write_record(row.iter().map(|c| defuse(c).into_owned())).map_err(csv_err)
            })?;
            csv.flush()?;
            n
        }
        Some("xlsx") => {
            let mut book = Workbook::new();
            let text = Format::new().set_num_format("@");
            let bold = Format::new().set_bold();
            // Constant-memory mode streams rows to disk, so a district-sized export stays small.
            let sheet = book.add_worksheet_with_constant_memory().map_err(xlsx_err)?;
            sheet.set_name("居民花名册").map_err(xlsx_err)?;
            for (c, h) in header.iter().enumerate() {
                sheet.write_string_with_format(0, c as u16, h, &bold).map_err(xlsx_err)?;
            }
            sheet.set_column_format(2, &text).map_err(xlsx_err)?;
            sheet.set_column_format(3, &text).map_err(xlsx_err)?;
            sheet.set_column_width(2, 20).map_err(xlsx_err)?;
            sheet.set_column_width(3, 14).map_err(xlsx_err)?;
            let mut row_no = 1u32;
            let n = residents::for_each(ctx.store, filter, &mut |r| {
                for (c, v) in cells(&r, &keys).iter().enumerate() {
                    if !v.is_empty() {
                        sheet.write_string(row_no, c as u16, defuse(v)).map_err(xlsx_err)?;
                    }
                }
                row_no += 1;
                Ok(())
            })?;
            book.save(path).map_err(xlsx_err)?;
            n
        }
        _ => {
            return Err(CoreError::Invalid(format!(
                "cannot export to “{}”: name the file .csv or .xlsx",
                path.display()
            )))
        }
    };
    let record = json!({
        "file": path.file_name().map(|f| f.to_string_lossy().into_owned()),
        "filter": { "community": filter.community, "grid": filter.grid, "tag": filter.tag },
        "area": filter_area(ctx.store, filter)?,
        "residents": n,
    });
    audit_export(ctx, "export.residents", record)?;
    Ok(n)
}

/// Every export, on disk or on paper, is one audited and synced operation.
fn audit_export(ctx: &mut Ctx<'_>, action: &str, record: serde_json::Value) -> Result<()> {
    ctx.write(|w| w.record(action, record))
}

/// Records that a list of residents was printed (phones in full on a call list): printing
/// is an export on paper, audited and synced like one.
pub fn record_printed(
    ctx: &mut Ctx<'_>,
    kind: &str,
    filter: &Filter,
    residents: u64,
) -> Result<()> {
    let record = json!({
        "kind": kind,
        "filter": { "community": filter.community, "grid": filter.grid, "tag": filter.tag },
        "area": filter_area(ctx.store, filter)?,
        "residents": residents,
    });
    audit_export(ctx, "export.print", record)
}

/// Records that the rows an import rejected were written back to a spreadsheet: rows of a
/// roster the store never held, but residents' data on disk all the same.
pub fn record_rejected_export(ctx: &mut Ctx<'_>, file: &Path, rows: u64) -> Result<()> {
    let record = json!({
        "file": file.file_name().map(|f| f.to_string_lossy().into_owned()),
        "rows": rows,
    });
    audit_export(ctx, "export.rejected", record)
}

/// The area a filter chose (its community, or its grid), for the district's access report;
/// none for the whole district, or when the names match several areas.
fn filter_area(store: &crate::Store, filter: &Filter) -> Result<Option<String>> {
    if filter.community.is_none() && filter.grid.is_none() {
        return Ok(None);
    }
    let mut stmt = store.conn().prepare_cached(
        "SELECT a.id FROM areas a LEFT JOIN areas p ON p.id = a.parent_id
         WHERE (?2 IS NULL AND a.level = 'community' AND a.name = ?1)
            OR (?2 IS NOT NULL AND a.level = 'grid' AND a.name = ?2
                AND (?1 IS NULL OR p.name = ?1))
         LIMIT 2",
    )?;
    let ids: Vec<String> = stmt
        .query_map((&filter.community, &filter.grid), |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(if ids.len() == 1 { ids.into_iter().next() } else { None })
}

/// Writes the blank roster template: the recognised headers, with the identity-number and
/// phone columns formatted as text so Excel keeps every digit, and a sheet of instructions.
pub fn write_template(path: &Path) -> Result<()> {
    let mut book = Workbook::new();
    let text = Format::new().set_num_format("@");
    let head = Format::new()
        .set_bold()
        .set_background_color("#DDEBF7")
        .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    let sheet: &mut Worksheet = book.add_worksheet();
    sheet.set_name("居民花名册").map_err(xlsx_err)?;
    for (c, h) in TEMPLATE.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &head).map_err(xlsx_err)?;
        sheet.set_column_width(c as u16, if c == 2 { 22 } else { 12 }).map_err(xlsx_err)?;
    }
    sheet.set_column_format(2, &text).map_err(xlsx_err)?;
    sheet.set_column_format(3, &text).map_err(xlsx_err)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    let help = book.add_worksheet();
    help.set_name("填表说明").map_err(xlsx_err)?;
    let lines = [
        "填表说明 / How to fill in",
        "1. 每行一位居民；姓名必填，身份证号码与联系电话至少填一项。",
        "2. 身份证号码、联系电话两列已设为“文本”格式，请直接输入或粘贴为文本，切勿改为数字格式，否则 18 位号码会丢失末几位。",
        "3. 人员类别可填多个，用“、”分隔，如：独居老人、慢性病。",
        "4. 不要合并单元格；可在右侧增加其他列，导入时会作为附加信息保留。",
        "One resident per row; name is required, plus an identity number or a phone.",
        "The identity-number and phone columns are formatted as text: keep them so, or Excel drops digits.",
    ];
    for (r, line) in lines.iter().enumerate() {
        help.write_string(r as u32, 0, *line).map_err(xlsx_err)?;
    }
    help.set_column_width(0, 100).map_err(xlsx_err)?;
    book.save(path).map_err(xlsx_err)?;
    Ok(())
}
