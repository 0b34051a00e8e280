import { en as coreEn } from './en';
import { zh as coreZh } from './zh';
import * as admin from './admin';
import * as reports from './reports';
import * as questionnaires from './questionnaires';
import * as results from './results';
import * as visits from './visits';
import * as disputes from './disputes';
import * as hr from './hr';
import * as assignments from './assignments';
import * as reportFeedback from './report-feedback';
import * as resultsPlans from './results-plans';
import * as account from './account';
import * as audit from './audit';
import * as roles from './roles';
import * as rolesWords from './roles-words';
import * as answers from './answers';
import * as items from './items';
import * as alerts from './alerts';
import * as confidence from './confidence';
import * as calibration from './calibration';
import * as offline from './offline';
import * as uploads from './uploads';

/**
 * Each feature keeps its own dictionary file (server/i18n/<feature>.ts exporting `{ en, zh }`)
 * and is listed here once; keys are prefixed with the feature name.
 */
type Dict = Record<string, string>;
const features: { en: Dict; zh: Dict }[] = [
  { en: coreEn, zh: coreZh },
  admin,
  reports,
  questionnaires,
  results,
  visits,
  disputes,
  hr,
  assignments,
  reportFeedback,
  resultsPlans,
  account,
  audit,
  roles,
  rolesWords,
  answers,
  items,
  alerts,
  confidence,
  calibration,
  offline,
  uploads,
];

export const en: Dict = Object.assign({}, ...features.map((f) => f.en));
export const zh: Dict = Object.assign({}, ...features.map((f) => f.zh));
