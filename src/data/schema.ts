// The domain catalog's shape. The catalog itself is data: one JSON file per category under ./catalog/, parsed
// with these schemas at load time. The schema is the type (z.infer); code past the loader trusts the data.

import { z } from 'zod';

/** The 32 EmpatheticDialogues emotion labels. */
export const EMOTIONS = [
  'afraid',
  'angry',
  'annoyed',
  'anticipating',
  'anxious',
  'apprehensive',
  'ashamed',
  'caring',
  'confident',
  'content',
  'devastated',
  'disappointed',
  'disgusted',
  'embarrassed',
  'excited',
  'faithful',
  'furious',
  'grateful',
  'guilty',
  'hopeful',
  'impressed',
  'jealous',
  'joyful',
  'lonely',
  'nostalgic',
  'prepared',
  'proud',
  'sad',
  'sentimental',
  'surprised',
  'terrified',
  'trusting',
] as const;
export type Emotion = (typeof EMOTIONS)[number];

/** The empathy strategies (the original guide's "empathy markers"). */
export const STRATEGIES = [
  'acknowledge',
  'validate',
  'reflect',
  'normalize',
  'encourage',
  'open_question',
  'guidance',
  'referral',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const CATEGORIES = [
  'healthcare',
  'daily_life',
  'business',
  'education',
  'creative',
  'technology',
  'specialized',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const VOICE_PROFILES = [
  'meditative',
  'therapeutic',
  'professional',
  'educational',
  'creative',
  'casual',
] as const;

const text = z.string().trim().min(3);
const SLOT = /\{([a-z_]+)\}/g;

/** Slot names a text uses, e.g. "my {relative}" → ["relative"]. */
export function slotsIn(s: string): string[] {
  return [...s.matchAll(SLOT)].map((m) => m[1] as string);
}

export const SituationSchema = z.strictObject({
  /** What the user says, first person, with {slot} placeholders. */
  user: text,
  /** The same situation as a short second-person phrase for reflections ("your mother's new diagnosis"). */
  topic: text,
  /** 2–4 emotions a person in this situation plausibly feels. */
  emotions: z.array(z.enum(EMOTIONS)).min(2).max(4),
  /** Distinct, concrete pieces of advice for exactly this situation, one sentence each (a reply uses one). */
  advice: z.union([text.transform((a) => [a]), z.array(text).min(1)]),
  /** A crisis: the reply escalates to emergency services or a professional and gives no dangerous specifics. */
  crisis: z.boolean().default(false),
});
export type Situation = z.infer<typeof SituationSchema>;

export const VoiceSchema = z.strictObject({
  profile: z.enum(VOICE_PROFILES),
  /** Speaking rate relative to normal speech (1.0). */
  rate: z.number().min(0.6).max(1.4),
  /** Pitch shift hint in semitones. */
  pitch: z.number().min(-6).max(6),
});

export const DomainSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z_]*$/),
    description: text,
    system_prompt: text,
    keywords: z.array(text).min(10),
    vocabulary: z.array(text).min(40),
    /** Slot fillers; every {slot} in a situation or follow-up must be defined here (or be {term}: a vocabulary word). */
    slots: z.record(z.string().regex(/^[a-z_]+$/), z.array(text).min(3)),
    situations: z.array(SituationSchema).min(24),
    /** Sound, non-harmful domain guidance, one sentence each. */
    guidance: z.array(text).min(12),
    /** Follow-up questions a user asks in later turns. */
    follow_ups: z.array(text).min(8),
    /** Who to refer to ("a licensed therapist", "your doctor or pharmacist"). */
    referral: text,
    /** Required for safety-critical domains: the urgent escalation line used in crisis replies. */
    crisis_referral: text.optional(),
    empathy_level: z.enum(['moderate', 'high', 'very_high']),
    safety_critical: z.boolean(),
    voice: VoiceSchema,
  })
  .superRefine((d, ctx) => {
    const known = new Set([...Object.keys(d.slots), 'term']);
    const texts = [...d.situations.flatMap((s) => [s.user, s.topic, ...s.advice]), ...d.follow_ups];
    for (const t of texts) {
      for (const slot of slotsIn(t)) {
        if (!known.has(slot)) ctx.addIssue({ code: 'custom', message: `${d.name}: unknown slot {${slot}} in "${t}"` });
      }
    }
    const crises = d.situations.filter((s) => s.crisis).length;
    if (d.safety_critical && (crises < 3 || !d.crisis_referral)) {
      ctx.addIssue({
        code: 'custom',
        message: `${d.name}: a safety-critical domain needs at least 3 crisis situations and a crisis_referral`,
      });
    }
    const emotions = new Set(d.situations.flatMap((s) => s.emotions));
    if (emotions.size < 16) {
      ctx.addIssue({ code: 'custom', message: `${d.name}: situations cover ${emotions.size} emotions; need 16+` });
    }
  });
export type Domain = z.infer<typeof DomainSchema>;

export const CategoryFileSchema = z.strictObject({
  category: z.enum(CATEGORIES),
  domains: z.array(DomainSchema).min(1),
});
