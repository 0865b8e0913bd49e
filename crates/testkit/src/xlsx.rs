//! xlsx through rust_xlsxwriter, as Excel saves a roster: merged title rows above the header,
//! numbers stored as numbers, dates as formatted numbers, text-formatted columns, and
//! optionally inline strings (what streaming exporters such as POI's SXSSF write).

use rust_xlsxwriter::{Format, FormatAlign, Workbook as XlsxBook, Worksheet};

use crate::model::{excel_serial, Value, Workbook};

/// How the xlsx is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Xlsx {
    /// Strings inline in each cell (`t="inlineStr"`) instead of a shared-strings part.
    pub inline_strings: bool,
}

/// An xlsx workbook as Excel writes it.
pub fn to_xlsx(book: &Workbook) -> Vec<u8> {
    to_xlsx_with(book, Xlsx::default())
}

pub fn to_xlsx_with(book: &Workbook, opts: Xlsx) -> Vec<u8> {
    let mut out = XlsxBook::new();
    let title = Format::new().set_bold().set_font_size(16).set_align(FormatAlign::Center);
    let text = Format::new().set_num_format("@");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for sheet in &book.sheets {
        let ws: &mut Worksheet = if opts.inline_strings {
            out.add_worksheet_with_constant_memory().expect("a temporary file for the sheet")
        } else {
            out.add_worksheet()
        };
        ws.set_name(&sheet.name).expect("a valid sheet name (at most 31 characters, no []:*?/\\)");
        for &col in &sheet.text_columns {
            ws.set_column_format(col, &text).expect("a column within the sheet");
        }
        let width = sheet.width();
        let titles = sheet.titles();
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = u32::try_from(r).expect("rows fit a sheet");
            let is_title = titles.contains(&(r as usize));
            for (c, v) in row.iter().enumerate() {
                let c = u16::try_from(c).expect("columns fit a sheet");
                let as_text = sheet.text_columns.contains(&c);
                let written = match v {
                    Value::Text(s) if is_title => {
                        let last = u16::try_from(width - 1).expect("columns fit a sheet");
                        ws.merge_range(r, 0, r, last, s, &title).map(|_| ())
                    }
                    Value::Text(s) if as_text => {
                        ws.write_string_with_format(r, c, s, &text).map(|_| ())
                    }
                    Value::Text(s) => ws.write_string(r, c, s).map(|_| ()),
                    Value::Number(n) if as_text => {
                        ws.write_number_with_format(r, c, *n, &text).map(|_| ())
                    }
                    Value::Number(n) => ws.write_number(r, c, *n).map(|_| ()),
                    Value::Date { year, month, day } => {
                        let serial = excel_serial(*year, *month, *day);
                        ws.write_number_with_format(r, c, serial, &date).map(|_| ())
                    }
                    Value::Empty => Ok(()),
                };
                written.expect("a cell within Excel's limits");
            }
        }
    }
    out.save_to_buffer().expect("xlsx in memory")
}
