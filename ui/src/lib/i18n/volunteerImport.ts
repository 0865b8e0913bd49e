// The strings of the import wizard's volunteer path, zh-CN and English. They live beside the
// main catalogues (not in them) while the volunteer pages are built in parallel; `tv` reads
// the same live language as `t`, so switching languages re-renders them too.
import { fieldLabel, locale } from './index.svelte';

const zhCN = {
  'kind.legend': '要导入哪种名册？',
  'kind.residents': '导入居民名册',
  'kind.residentsHint': '居民花名册：姓名、身份证号码、联系电话、住址、人员类别…',
  'kind.volunteers': '导入志愿者名册',
  'kind.volunteersHint': '志愿者名单：姓名、手机、技能、可服务时间、健康状况…',
  'mappingHint': '系统已按列名识别志愿者字段。识别不对的列可以改；其他列会写进备注，不需要的设为“忽略此列”。',
  'formatHint': '技能可填多个，用、，/；或空格隔开；可服务时间写成“周一至周五 18:00-21:00；周六 全天”；同时任务数为 1 到 20。',
  'field.name': '姓名',
  'field.phone': '手机',
  'field.id_number': '身份证号码',
  'field.street': '街道',
  'field.community': '社区',
  'field.grid': '网格 / 小区',
  'field.skills': '技能',
  'field.availability': '可服务时间',
  'field.capacity': '同时任务数',
  'field.health': '健康状况',
  'field.vehicle': '交通工具',
  'field.notes': '备注',
  'field.attribute': '写进备注',
  'field.ignore': '忽略此列',
  'field.volunteer': '志愿者',
  'count.wouldCreate': '将新增志愿者',
  'count.created': '新增志愿者',
  'count.existing': '已是志愿者',
  'count.linked': '关联居民',
  'count.areas': '新建地区',
  'existingTitle': '已是志愿者（跳过，可在志愿者页修改）',
  'col.volunteer': '志愿者',
  'reportTitle': '志愿者名册导入完成',
} satisfies Record<string, string>;

export type VolunteerImportKey = keyof typeof zhCN;

const en: Record<VolunteerImportKey, string> = {
  'kind.legend': 'Which roster is this?',
  'kind.residents': 'Import a resident roster',
  'kind.residentsHint': 'Residents: name, identity number, phone, address, tags…',
  'kind.volunteers': 'Import a volunteer roster',
  'kind.volunteersHint': 'Volunteers: name, phone, skills, availability, health…',
  'mappingHint': 'Columns were recognised as volunteer fields by their names. Change any that is wrong; other columns go into the notes, or set them to Ignore.',
  'formatHint': 'Several skills go in one cell, separated by 、 , / ; or spaces; availability reads like "Mon-Fri 18:00-21:00; Sat all day"; tasks at once is 1 to 20.',
  'field.name': 'Name',
  'field.phone': 'Phone',
  'field.id_number': 'Identity number',
  'field.street': 'Street',
  'field.community': 'Community',
  'field.grid': 'Grid / compound',
  'field.skills': 'Skills',
  'field.availability': 'Availability',
  'field.capacity': 'Tasks at once',
  'field.health': 'Health',
  'field.vehicle': 'Vehicle',
  'field.notes': 'Notes',
  'field.attribute': 'Add to notes',
  'field.ignore': 'Ignore this column',
  'field.volunteer': 'Volunteer',
  'count.wouldCreate': 'Would add',
  'count.created': 'Volunteers added',
  'count.existing': 'Already volunteers',
  'count.linked': 'Linked to residents',
  'count.areas': 'New areas',
  'existingTitle': 'Already volunteers (skipped; edit them on their page)',
  'col.volunteer': 'Volunteer',
  'reportTitle': 'Volunteer roster imported',
};

export const volunteerCatalogues: Record<'zh-CN' | 'en', Record<VolunteerImportKey, string>> = { 'zh-CN': zhCN, en };

export function tv(key: VolunteerImportKey, params?: Record<string, string | number>): string {
  const text = volunteerCatalogues[locale.lang][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** A volunteer roster field's label (`skills` → 技能), else the residents' label or the key. */
export function volunteerFieldLabel(field: string): string {
  const key = `field.${field}`;
  return key in zhCN ? tv(key as VolunteerImportKey) : fieldLabel(field);
}
