//! XLSX through calamine, streamed cell by cell: a full million-row sheet never sits in
//! memory. [`super::zipguard`] has already bounded every part calamine holds or buffers.

use std::io::BufReader;
use std::path::Path;

use calamine::{DataRef, Reader, Xlsx};

use super::super::source::{Cell, Flow, Format, Input, Limits, RawRow, ReadError, SheetInfo};
use super::{calamine_error, date_text, guard, put, Rows};

type Book = Xlsx<BufReader<std::fs::File>>;

fn cell(v: &DataRef<'_>) -> Cell {
    match v {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) if s.is_empty() => Cell::Empty,
        DataRef::SharedString("") => Cell::Empty,
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        // A number formatted as a date arrives as a date; a duration (`[h]:mm`) is a number.
        DataRef::DateTime(d) if d.is_datetime() => Cell::Date(date_text(d)),
        DataRef::DateTime(d) => Cell::Number(d.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Date(s.clone()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

pub(super) struct XlsxInput {
    book: Box<Book>,
    sheets: Vec<SheetInfo>,
    /// Whether each sheet holds cells: a chart sheet is listed but has no rows.
    grids: Vec<bool>,
    max_rows: u64,
}

pub(super) fn open(path: &Path, limits: &Limits) -> Result<XlsxInput, ReadError> {
    let reader = BufReader::new(std::fs::File::open(path)?);
    let mut book: Book = guard(|| Xlsx::new(reader))?.map_err(calamine_error)?;
    let listed: Vec<(String, bool)> = book
        .sheets_metadata()
        .iter()
        .map(|s| (s.name.clone(), s.typ == calamine::SheetType::WorkSheet))
        .collect();
    let grids = listed.iter().map(|(_, grid)| *grid).collect();
    let mut sheets = Vec::with_capacity(listed.len());
    for (name, grid) in listed {
        if !grid {
            sheets.push(SheetInfo { name, rows_hint: Some(0) });
            continue;
        }
        // The declared dimension is only a progress hint; a sheet that cannot be opened
        // here fails with its own error when it is read.
        let hint = guard(|| {
            book.worksheet_cells_reader(&name)
                .ok()
                .map(|r| u64::from(r.dimensions().end.0).saturating_add(1))
        })
        .ok()
        .flatten();
        sheets.push(SheetInfo { name, rows_hint: hint });
    }
    Ok(XlsxInput { book: Box::new(book), sheets, grids, max_rows: limits.max_rows })
}

impl Input for XlsxInput {
    fn format(&self) -> Format {
        Format::Xlsx
    }

    fn encoding(&self) -> Option<&'static str> {
        None
    }

    fn sheets(&self) -> &[SheetInfo] {
        &self.sheets
    }

    fn visit_rows(
        &mut self,
        index: usize,
        visit: &mut dyn FnMut(RawRow) -> Flow,
    ) -> Result<(), ReadError> {
        let Some(info) = self.sheets.get(index) else { return Ok(()) };
        if !self.grids.get(index).copied().unwrap_or(false) {
            return Ok(());
        }
        let name = info.name.clone();
        let book = &mut self.book;
        let mut cells = guard(|| book.worksheet_cells_reader(&name))?.map_err(calamine_error)?;
        let mut rows = Rows::new(visit, self.max_rows);
        let mut current: Option<(u32, Vec<Cell>)> = None;
        loop {
            let next = guard(|| cells.next_cell())?.map_err(calamine_error)?;
            let Some(c) = next else { break };
            let (r, col) = c.get_position();
            let value = guard(|| cell(c.get_value()))?;
            match current.as_mut() {
                Some((row, row_cells)) if *row == r => put(row_cells, col, value)?,
                _ => {
                    if let Some((row, row_cells)) = current.take() {
                        if rows.row(u64::from(row) + 1, row_cells)?.is_break() {
                            return Ok(());
                        }
                    }
                    let mut row_cells = Vec::new();
                    put(&mut row_cells, col, value)?;
                    current = Some((r, row_cells));
                }
            }
        }
        if let Some((row, row_cells)) = current {
            // The last row: whether the visitor wants more no longer matters.
            let _ = rows.row(u64::from(row) + 1, row_cells)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_util::{collect, file};
    use super::super::{open, Limits};
    use crate::import::source::{Cell, Format};

    #[test]
    fn title_rows_count_numbers_stay_numbers_and_sheets_keep_their_order() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let s = book.add_worksheet().set_name("第1网格").expect("name");
        s.merge_range(0, 0, 0, 3, "XX社区居民花名册", &rust_xlsxwriter::Format::new())
            .expect("merge");
        for (c, h) in ["姓名", "身份证号码", "联系电话", "出生日期"].iter().enumerate()
        {
            s.write_string(1, c as u16, *h).expect("h");
        }
        s.write_string(2, 0, "张三").expect("c");
        s.write_number(2, 1, 110105194912310020.0).expect("c");
        s.write_number(2, 2, 13812345678.0).expect("c");
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let when = rust_xlsxwriter::ExcelDateTime::from_ymd(1949, 12, 31).expect("date");
        s.write_datetime_with_format(2, 3, &when, &date).expect("c");
        s.write_string(5, 2, "far below").expect("c");
        let s2 = book.add_worksheet().set_name("第2网格").expect("name");
        s2.write_string(0, 0, "姓名").expect("c");
        book.add_worksheet()
            .set_name("填表说明")
            .expect("name")
            .write_string(0, 0, "说明")
            .expect("c");
        book.save(&path).expect("save");

        let mut input = open(&path, &Limits::default()).expect("open");
        assert_eq!(input.format(), Format::Xlsx);
        assert_eq!(input.encoding(), None);
        let names: Vec<&str> = input.sheets().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["第1网格", "第2网格", "填表说明"]);
        assert_eq!(input.sheets()[0].rows_hint, Some(6));
        let rows = collect(input.as_mut(), 0);
        let numbers: Vec<u32> = rows.iter().map(|r| r.row).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6], "title rows count; missing rows are blank rows");
        assert!(rows[3].is_blank() && rows[4].is_blank());
        assert_eq!(rows[0].cells[0], Cell::Text("XX社区居民花名册".into()));
        assert_eq!(
            rows[2].cells[1],
            Cell::Number(110105194912310020.0),
            "an identity number typed as a number arrives as a (rounded) number"
        );
        assert_eq!(rows[2].cells[2], Cell::Number(13812345678.0));
        assert_eq!(rows[2].cells[3], Cell::Date("1949-12-31".into()));
        assert_eq!(rows[5].cells, [Cell::Empty, Cell::Empty, Cell::Text("far below".into())]);
        assert_eq!(collect(input.as_mut(), 2).len(), 1);
        assert!(collect(input.as_mut(), 7).is_empty(), "no such sheet: nothing");
    }

    #[test]
    fn a_chart_sheet_is_listed_without_rows() {
        let dir = tempfile::tempdir().expect("dir");
        let mut book = rust_xlsxwriter::Workbook::new();
        let data = book.add_worksheet().set_name("数据").expect("name");
        data.write_string(0, 0, "姓名").expect("c");
        data.write_number(1, 0, 3.0).expect("c");
        let mut chart = rust_xlsxwriter::Chart::new(rust_xlsxwriter::ChartType::Column);
        chart.add_series().set_values("数据!$A$2:$A$2");
        book.add_chartsheet()
            .set_name("图表")
            .expect("name")
            .insert_chart(0, 0, &chart)
            .expect("chart");
        let path = file(&dir, "chart.xlsx", &book.save_to_buffer().expect("buffer"));
        let mut input = open(&path, &Limits::default()).expect("open");
        let names: Vec<&str> = input.sheets().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["数据", "图表"]);
        assert_eq!(collect(input.as_mut(), 0).len(), 2);
        assert!(collect(input.as_mut(), 1).is_empty());
    }

    #[test]
    fn a_truncated_xlsx_is_corrupt_and_an_xlsx_named_csv_is_still_an_xlsx() {
        let dir = tempfile::tempdir().expect("dir");
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for r in 0..2000u32 {
            sheet.write_string(r, 0, format!("居民{r}")).expect("c");
        }
        let bytes = book.save_to_buffer().expect("buffer");
        let renamed = file(&dir, "roster.csv", &bytes);
        assert_eq!(open(&renamed, &Limits::default()).expect("open").format(), Format::Xlsx);
        for cut in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 10] {
            let path = file(&dir, "t.xlsx", &bytes[..cut]);
            match open(&path, &Limits::default()) {
                Err(super::ReadError::Corrupt(_)) => {}
                other => panic!("cut at {cut}: {:?}", other.map(|i| i.format())),
            }
        }
    }
}
