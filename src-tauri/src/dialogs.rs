//! Native file dialogs through rfd (GTK on Linux, so they work without a desktop portal).
//!
//! Each dialog is created on the main thread and awaited here, as rfd advises: macOS only
//! shows dialogs from the main thread, and rfd's GTK backend hands its work to whichever
//! thread runs GTK's main loop (Tauri's main thread), so a blocking dialog called *on* that
//! thread would wait for itself. The asynchronous dialog never blocks it.

use std::future::Future;
use std::pin::Pin;

use jiayuan_core::desk::{ApiError, FilePurpose};
use rfd::{AsyncFileDialog, FileHandle};
use tauri::{AppHandle, Manager};

use crate::commands::internal;

/// A shown dialog's answer, to await off the main thread.
type Chosen = Pin<Box<dyn Future<Output = Option<FileHandle>> + Send>>;

/// The dialog a purpose needs: filters, title, suggested name.
fn dialog(purpose: FilePurpose) -> AsyncFileDialog {
    let d = AsyncFileDialog::new();
    match purpose {
        FilePurpose::Roster => d
            .set_title("选择居民名单 / Choose a roster")
            .add_filter(
                "名单 Roster (xlsx xls ods csv tsv txt)",
                &["xlsx", "xls", "ods", "csv", "tsv", "txt"],
            )
            .add_filter("所有文件 All files", &["*"]),
        FilePurpose::Rejected => d
            .set_title("保存问题行 / Save the rejected rows")
            .set_file_name("问题行.xlsx")
            .add_filter("Excel (xlsx)", &["xlsx"]),
        FilePurpose::Template => d
            .set_title("保存名单模板 / Save the roster template")
            .set_file_name("居民名单模板.xlsx")
            .add_filter("Excel (xlsx)", &["xlsx"]),
        FilePurpose::Attachment => d.set_title("选择附件 / Choose a file to attach"),
        FilePurpose::Residents => d
            .set_title("导出居民名单 / Export residents")
            .set_file_name("居民名单.xlsx")
            .add_filter("Excel (xlsx)", &["xlsx"])
            .add_filter("CSV", &["csv"]),
        FilePurpose::Backup => d
            .set_title("备份到文件 / Back up to a file")
            .set_file_name("嘉园备份.jybackup")
            .add_filter("嘉园备份 Jiayuan backup (jybackup)", &["jybackup"]),
        FilePurpose::Restore => d
            .set_title("选择备份文件 / Choose a backup")
            .add_filter("嘉园备份 Jiayuan backup (jybackup)", &["jybackup"])
            .add_filter("所有文件 All files", &["*"]),
    }
}

/// Shows the dialog for `purpose` over the main window and returns the chosen path.
pub async fn pick(app: &AppHandle, purpose: FilePurpose) -> Result<Option<String>, ApiError> {
    let (tx, mut rx) = tauri::async_runtime::channel(1);
    let window = app.get_webview_window(crate::window::MAIN);
    app.run_on_main_thread(move || {
        let mut d = dialog(purpose);
        if let Some(w) = &window {
            d = d.set_parent(w);
        }
        let chosen: Chosen = match purpose {
            FilePurpose::Roster | FilePurpose::Attachment | FilePurpose::Restore => {
                Box::pin(d.pick_file())
            }
            _ => Box::pin(d.save_file()),
        };
        let _ = tx.try_send(chosen);
    })
    .map_err(internal)?;
    let chosen = rx.recv().await.ok_or_else(|| internal("the dialog did not open"))?.await;
    Ok(chosen.map(|f| f.path().display().to_string()))
}
