import { Schema, model, type InferSchemaType } from 'mongoose';
import { ITEM_TYPES, SECTION_KEYS } from '../rules/scoring';

/**
 * A questionnaire is a name per bank; its content lives in immutable versions. An edit inserts
 * version N+1 (unique index on questionnaireId+version), so visits keep scoring on the version
 * they were filled on.
 */
const questionnaireSchema = new Schema(
  {
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    name: { type: String, required: true },
    latestVersion: { type: Number, required: true, min: 1 },
    archived: { type: Boolean, default: false },
  },
  { timestamps: true },
);
questionnaireSchema.index({ bankId: 1, name: 1 });
export const Questionnaire = model('Questionnaire', questionnaireSchema);

const bilingual = { zh: { type: String }, en: { type: String } };

const optionSchema = new Schema(
  {
    key: { type: String, required: true },
    text: { zh: { type: String, required: true }, en: { type: String, required: true } },
    score: { type: Number, default: null }, // null: "not applicable" (choice only)
  },
  { _id: false },
);

const itemSchema = new Schema(
  {
    key: { type: String, required: true },
    text: { zh: { type: String, required: true }, en: { type: String, required: true } },
    type: { type: String, enum: ITEM_TYPES, required: true },
    weight: { type: Number, required: true, min: 0 },
    critical: { type: Boolean, default: false },
    allowNA: { type: Boolean, default: false },
    required: { type: Boolean, default: true },
    // SPEC §10; absent on versions written before them (and on items whose type does not use them).
    min: { type: Number },
    max: { type: Number },
    unit: { type: bilingual, default: undefined },
    bands: { type: [new Schema({ max: Number, score: Number }, { _id: false })], default: undefined },
    options: { type: [optionSchema], default: undefined },
    showIf: {
      type: new Schema({ item: { type: String, required: true }, in: [Schema.Types.Mixed] }, { _id: false }),
      default: undefined,
    },
    evidenceOnFail: { type: Boolean, default: false },
    guidance: { type: bilingual, default: undefined },
    failureText: { type: bilingual, default: undefined },
  },
  { _id: false },
);

const sectionSchema = new Schema(
  {
    key: { type: String, enum: SECTION_KEYS, required: true },
    weight: { type: Number, required: true, min: 0 },
    items: { type: [itemSchema], default: [] },
  },
  { _id: false },
);

const versionSchema = new Schema(
  {
    questionnaireId: { type: Schema.Types.ObjectId, ref: 'Questionnaire', required: true },
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    version: { type: Number, required: true, min: 1 },
    name: { type: String, required: true },
    sections: { type: [sectionSchema], required: true },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User' },
  },
  { timestamps: true },
);
versionSchema.index({ questionnaireId: 1, version: 1 }, { unique: true });
export type QuestionnaireVersionAttrs = InferSchemaType<typeof versionSchema>;
export const QuestionnaireVersion = model('QuestionnaireVersion', versionSchema);
