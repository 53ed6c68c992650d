// The generator's phrase grammar: how each emotion is worded, and how each empathy strategy is said. `[a|b]` picks
// an alternative and `{slot}` fills from the sample (see grammar.ts). Slots: {feel} an emotion word, {topic} the
// situation as a second-person phrase, {advice} the situation's advice, {guidance} a domain guidance sentence,
// {referral} and {crisis_referral} from the domain.

import type { Emotion, Strategy } from './schema.ts';

export type Valence = 'negative' | 'positive' | 'mixed';

interface EmotionWords {
  readonly valence: Valence;
  /** Adjectives that fit "feeling ___" and "I'm ___". */
  readonly words: readonly string[];
}

export const EMOTION_WORDS: Readonly<Record<Emotion, EmotionWords>> = {
  afraid: { valence: 'negative', words: ['afraid', 'scared', 'frightened', 'fearful'] },
  angry: { valence: 'negative', words: ['angry', 'upset', 'mad', 'worked up'] },
  annoyed: { valence: 'negative', words: ['annoyed', 'irritated', 'fed up', 'exasperated'] },
  anticipating: { valence: 'mixed', words: ['eager', 'expectant', 'keyed up', 'restless with anticipation'] },
  anxious: { valence: 'negative', words: ['anxious', 'worried', 'nervous', 'uneasy', 'on edge'] },
  apprehensive: { valence: 'negative', words: ['apprehensive', 'hesitant', 'wary', 'uncertain'] },
  ashamed: { valence: 'negative', words: ['ashamed', 'humiliated', 'small', 'ashamed of myself'] },
  caring: { valence: 'positive', words: ['protective', 'caring', 'devoted to them', 'invested'] },
  confident: { valence: 'positive', words: ['confident', 'self-assured', 'sure of myself', 'steady'] },
  content: { valence: 'positive', words: ['content', 'settled', 'at peace', 'satisfied'] },
  devastated: { valence: 'negative', words: ['devastated', 'crushed', 'heartbroken', 'shattered'] },
  disappointed: { valence: 'negative', words: ['disappointed', 'let down', 'discouraged', 'deflated'] },
  disgusted: { valence: 'negative', words: ['disgusted', 'sickened', 'appalled', 'repulsed'] },
  embarrassed: { valence: 'negative', words: ['embarrassed', 'self-conscious', 'awkward', 'mortified'] },
  excited: { valence: 'positive', words: ['excited', 'thrilled', 'energized', 'fired up'] },
  faithful: { valence: 'positive', words: ['committed', 'loyal', 'devoted', 'dedicated'] },
  furious: { valence: 'negative', words: ['furious', 'livid', 'enraged', 'seething'] },
  grateful: { valence: 'positive', words: ['grateful', 'thankful', 'appreciative', 'relieved and thankful'] },
  guilty: { valence: 'negative', words: ['guilty', 'remorseful', 'to blame', 'bad about it'] },
  hopeful: { valence: 'positive', words: ['hopeful', 'optimistic', 'encouraged', 'upbeat'] },
  impressed: { valence: 'positive', words: ['impressed', 'amazed', 'inspired', 'blown away'] },
  jealous: { valence: 'negative', words: ['jealous', 'envious', 'left behind', 'resentful'] },
  joyful: { valence: 'positive', words: ['joyful', 'happy', 'delighted', 'overjoyed'] },
  lonely: { valence: 'negative', words: ['lonely', 'isolated', 'alone', 'disconnected'] },
  nostalgic: { valence: 'mixed', words: ['nostalgic', 'wistful', 'homesick', 'sentimental about the past'] },
  prepared: { valence: 'positive', words: ['prepared', 'ready', 'organized', 'on top of things'] },
  proud: { valence: 'positive', words: ['proud', 'accomplished', 'fulfilled', 'pleased with myself'] },
  sad: { valence: 'negative', words: ['sad', 'down', 'low', 'heavy-hearted'] },
  sentimental: { valence: 'mixed', words: ['sentimental', 'tender', 'moved', 'emotional'] },
  surprised: { valence: 'mixed', words: ['surprised', 'caught off guard', 'taken aback', 'startled'] },
  terrified: { valence: 'negative', words: ['terrified', 'panicked', 'petrified', 'frozen with fear'] },
  trusting: { valence: 'positive', words: ['trusting', 'reassured', 'safe', 'confident in the plan'] },
};

/** How a user voices the emotion after describing the situation. {feel} is first person here. */
export const USER_FEELING = [
  "[Honestly,|Truthfully,|To be honest,|] I'm [so|really|pretty|kind of|very] {feel}[ about it| right now| about all of this|].",
  "I [just|really|] feel [so|really|incredibly|a bit|] {feel}[.|!| and I don't know what to do.| and I'm not sure where to start.]",
  '[It leaves me|It has me|All of this leaves me] feeling [really|so|quite|] {feel}.',
  "I can't [shake|get past] [how|the feeling of how] {feel} I [feel|am][ about it|].",
  '[Mostly|Right now|Today] I feel {feel}[, if I am honest|, to be honest|].',
  '',
] as const;

/** An optional greeting before the first user turn. */
export const USER_OPENERS = [
  '',
  '',
  '',
  'Hi. ',
  'Hey, ',
  'Hello! ',
  'Okay, so ',
  'Quick question. ',
  'Hi there. ',
] as const;

/** What a user may add after the situation, asking for help. */
export const USER_ASKS = [
  '',
  '',
  'What should I do?',
  'Any advice?',
  'Where do I even start?',
  'Can you help me think this through?',
  'How should I handle this?',
  'What would you suggest?',
  'Is this normal?',
] as const;

/** The second-person emotion words the assistant uses ("you seem {feel}"): first-person words with "myself" fixed. */
export function secondPerson(word: string): string {
  return word.replace(/\bmyself\b/g, 'yourself').replace(/\bmy\b/g, 'your');
}

type StrategyPhrases = Readonly<Partial<Record<Strategy, readonly string[]>>>;

/** Strategy wordings by the emotion's valence; 'any' applies to every valence. */
export const STRATEGY_PHRASES: Readonly<Record<Valence | 'any', StrategyPhrases>> = {
  negative: {
    acknowledge: [
      "[It sounds like|I can hear that|It seems like|From what you describe,] you're feeling [really|quite|pretty|so|] {feel} about {topic}.",
      '[That sounds|That must be|That is] [really|so|genuinely|truly] [hard|tough|difficult|a lot to carry|heavy|exhausting], and feeling {feel} [makes sense|is understandable|is a natural reaction].',
      'Thank you for [telling me|sharing this|opening up about this|trusting me with this]; [dealing with|facing|going through|living with] {topic} can leave [anyone|a person|most people] feeling {feel}.',
      "I'm [really|so|truly|very] sorry you're [dealing with|going through|facing|stuck with] {topic}[, and that you feel {feel}|].",
      "[Oh,|Ah,|] [that's|this is] [a hard spot|a rough place|a painful situation|a lot] to be in, and I can [hear|tell|sense] how {feel} you [are|feel].",
      "[I hear you|I'm listening|I'm with you], and [it's clear|I can tell|it sounds like] {topic} [has been weighing on you|has taken a toll|is hitting you hard].",
      '[Wow,|Oh no,|Honestly,] [dealing with|carrying|handling] {topic} [on top of everything else|day after day|mostly on your own] [sounds draining|is a lot|would wear anyone down].',
      "[No wonder|Of course|It's no surprise] you feel {feel}; {topic} [is not a small thing|would shake most people|touches something important].",
      "[Let's slow down for a second|Let's take a breath together|First, let me say] — [feeling {feel}|being this {feel}] about {topic} [deserves attention|is worth taking seriously|is not something to brush off].",
    ],
    validate: [
      '[Your feelings make sense|Anyone in your position would feel this way|What you feel is completely valid|It is completely understandable to feel this way|Feeling {feel} here is a natural response].',
      "[It makes sense|It's understandable|It's only natural] that {topic} [would leave you feeling|has you feeling|would make you feel] {feel}.",
      "There's nothing [wrong|unreasonable|silly|weak] about feeling {feel}[; it shows how much this matters to you|; your reaction fits what you are facing|].",
      '[Given everything|With all of that going on|After what you described], [feeling {feel} is a fair response|your reaction is completely reasonable|of course it feels this way].',
      "[You're not overreacting|This isn't an overreaction|Your reaction isn't too much]; {topic} [really is hard|is genuinely difficult|would unsettle most people].",
    ],
    normalize: [
      '[Many|A lot of|Plenty of|So many] people feel {feel} [in situations like this|when something like this happens|in your shoes][, so you are far from alone|; you are not alone in this|, and it passes with the right support|].',
      "[This is|That's] a [very|really|] common [experience|reaction|struggle], and it [doesn't mean|is not a sign] you're doing anything wrong.",
      '[Struggling with|Feeling shaken by|Finding it hard to cope with] {topic} is [more common than people admit|something many people go through|a very human reaction].',
      '[If it helps to know,|For what it is worth,|Just so you know,] [people in very different walks of life|lots of others|many people I hear from] [wrestle with|run into|feel stuck on] [exactly this|something very similar|the same kind of thing].',
    ],
    encourage: [
      "[You're already taking a good step|Reaching out like this is a strong first step|You've clearly thought about this carefully] [, and that matters|, which says a lot about you|].",
      '[Take it one step at a time|Go easy on yourself|Be patient with yourself]; [small, steady changes|small steps|consistent effort] [add up|make a real difference|count for a lot].',
      '[You can get through this|Things can get better from here|You have more options than it may feel like right now], [and I am here to help|and you do not have to figure it out alone|one step at a time].',
      '[Even asking the question|Just naming it|Noticing this] [shows real self-awareness|is progress|is where change starts][, so give yourself some credit|; be kind to yourself|].',
      '[You have handled hard things before|You are stronger than this moment feels|This moment does not define you], and [you can handle this too|that strength is still there|a calmer day will come].',
    ],
  },
  positive: {
    acknowledge: [
      "[That's wonderful|What great news|That's fantastic|How exciting|That's lovely to hear], and it's [great|good|so good] to hear you're feeling {feel} about {topic}.",
      '[I can hear|It is clear|I can tell] how {feel} you [are|feel] about {topic}[, and that is worth celebrating|, and rightly so|].',
      '[Congratulations|Good for you|What a moment]! Feeling {feel} [about|when it comes to] {topic} [makes complete sense|is well deserved|is a great sign].',
      '[This made me smile|I love hearing this|What a nice thing to share]; {topic} [sounds like a real step forward|is a big deal|clearly matters to you].',
      "[It's great|It's so good|It's a pleasure] to [hear|see] you this {feel}[ about {topic}| right now|].",
    ],
    validate: [
      "[You have every reason|It's completely fair|You've earned the right] to feel {feel} [here|about this|right now].",
      "[That feeling is well earned|Enjoy that feeling|It's good to notice that feeling]; {topic} [clearly means a lot to you|matters|is worth taking pride in].",
      '[Good feelings like this|Moments like this] [deserve attention too|are worth pausing on|are part of the journey], [so soak it in|so enjoy it|not just the hard ones].',
    ],
    encourage: [
      "[Keep going|Keep that momentum|Enjoy this moment|Hold on to this energy]; you've [earned it|worked hard for this|clearly put in the effort].",
      "[You're on a good path|This is a strong foundation|You're in a great position] [to build on|to keep growing from|for what comes next].",
      '[Use this energy|Let this momentum carry you|Ride this wave] [to take the next step|into your next goal|while it is fresh].',
    ],
  },
  mixed: {
    acknowledge: [
      "[It sounds like|I can hear that|It seems] {topic} [has you feeling|leaves you feeling|brings up feelings of being] {feel}[, maybe in more than one way|, and that's a lot to hold|].",
      'Feeling {feel} about {topic} [is very human|makes sense|is natural][, especially with so much going on|, given everything around it|].',
    ],
    validate: [
      "[It's okay|It's natural|It's perfectly fine] to feel {feel} [and something else at the same time|while you work this out|about this].",
    ],
    normalize: [
      '[Lots of|Many] people feel {feel} [at moments like this|in a situation like yours|when things change like this].',
    ],
    encourage: [
      "[You're handling this thoughtfully|You're asking the right questions|You clearly care about getting this right].",
    ],
  },
  any: {
    reflect: [
      "[So|If I'm hearing you right,|It sounds like|From what you've said,] {topic} [has been on your mind|is weighing on you|is taking a lot of your energy|is the heart of this][, and you want a way forward|, and you'd like some clarity|].",
      "[What I'm hearing is that|It seems that|So it's] {topic} [that feels most pressing right now|that is at the center of this|that you most want help with].",
      '[Let me check I have this right:|To make sure I understand:|Just to reflect back:] [the main thing is|what matters most here is|the core of it is] {topic}[, yes|, is that right|]?',
      '[It sounds like two things are going on:|There seem to be two parts to this:] {topic}[, and how you feel about it|, and what to do next].',
    ],
    open_question: [
      '[Which part of this|What part of this] [feels hardest|worries you most|would help most to tackle first][ right now| at the moment|]?',
      '[How are you|How have you been] [holding up|coping|taking care of yourself][ through all of this| lately| this week|]?',
      '[Would it help to|Do you want to|Shall we] [talk through|map out|plan] [a first step|what comes next|your options] together?',
      'What [would|might] [a good outcome|feeling better|success] look like for you[ here| in a few weeks|]?',
      "[What have you|What's something you've] [already tried|tried so far][, and how did it go|]?",
      '[Who else|Is there anyone who] [knows about this|could support you here|is in your corner][ right now|]?',
      "[What's the smallest step|What is one small thing|What would be a realistic first move] you [could take|feel ready for|might try] [this week|today|in the next few days]?",
      '[When did|How long ago did] [this start|you first notice this|things begin to feel this way]?',
    ],
    guidance: [
      '{advice}',
      '{advice}',
      '[One thing that can help:|A practical next step:|Something worth trying:|Here is a thought:|A good place to start:|My suggestion:|One idea:|A small step that helps:|Worth a try:|What often works:|Practically speaking:|One option:|A concrete move:|Here is where I would start:] {advice_lower}',
      '[If you are open to it,|When you feel ready,|As a first step,|For now,|If it feels doable,|This week,|To begin,|When you have a quiet moment,|If you can,|In the meantime,|Before anything else,|To make this easier,] {advice_lower}',
    ],
    referral: [
      "[If this continues|If things don't improve|If you'd like more support|For anything specific to your situation], [consider talking to|it's worth reaching out to|please reach out to|it may help to see] {referral}.",
      '[It could also help to|You might also|It is worth it to] [involve|check in with|get advice from] {referral}[, who can look at the details with you| for guidance that fits your situation|].',
      "[You don't have to do this alone|Support is available|Help is out there]: {referral} [can help you with the specifics|can tailor advice to you|will know the details of your case].",
    ],
  },
};

/** Crisis replies: acknowledge, escalate at once, and stay with the person. No specifics beyond getting help. */
export const CRISIS_PHRASES = {
  acknowledge: [
    "[I'm really glad you told me|Thank you for telling me|I'm so sorry you're going through this|I hear you], and [I'm concerned about your safety|this sounds serious|I want to make sure you're safe|your safety matters most right now].",
    '[What you are describing|This|What is happening] [sounds like an emergency|is serious|needs urgent help|needs real-time help], and [you deserve support right now|you should not have to face it alone|acting quickly matters].',
    "[This is not something to handle alone|Please don't try to handle this on your own|You don't have to carry this by yourself], [and help is available right now|and people are ready to help immediately|and reaching out is the right move].",
    "[I can hear how frightening this is|That sounds terrifying|I'm so sorry this is happening]; [let's focus on getting you help right now|the first thing is getting real help on the way|right now the priority is your safety].",
    '[Thank you for reaching out|You did the right thing by saying something|It took courage to write this]; [this needs help from people who can be there in person|someone should be with you on this right now|let us get the right people involved now].',
  ],
  referral: [
    '{crisis_referral}',
    '{crisis_referral} [Your safety comes first.|Please do not wait.|This is the most important step right now.|Do it now, before anything else.]',
  ],
  followup: [
    '[After that,|Once you are safe,|As soon as you can,|Once help is on the way,] [reach out to|contact|talk with|follow up with] {referral}[ for ongoing support|, who can help with the next steps|].',
    '[If you can,|It may help to|Right now, try to] [let someone you trust know what is happening|ask someone you trust to stay with you|keep your phone close and stay with someone you trust].',
    "[You don't have to explain everything perfectly|Just tell them what is happening in plain words|Responders are used to calls like this]; [they will guide you from there|they can take it from there|they will ask what they need to know].",
  ],
  open_question: [
    '[Is someone with you right now|Can you reach someone you trust right now|Are you somewhere safe at the moment|Is there someone nearby who can help]?',
    '[Can you make that call now|Will you contact them right now|Can you reach out to them now], [while we keep talking|and tell me when you have|and let me know how it goes]?',
    '[What is stopping you from calling right now|Is anything making it hard to call|Would it help to plan what you will say when you call]?',
  ],
} as const;

/** Lead-ins for a follow-up reply. */
export const FOLLOWUP_OPENERS = [
  '',
  '',
  'Good question. ',
  "That's a fair question. ",
  'Sure. ',
  'Absolutely. ',
  "I'm glad you asked. ",
  'Of course. ',
] as const;

/** Generic follow-up turns, used alongside each domain's own. */
export const GENERIC_FOLLOW_UPS = [
  'Thanks, that helps. What else can I do?',
  'Okay. What should I do first?',
  'That makes sense. How do I keep it up?',
  'What if that does not work?',
  'How long before I see a difference?',
] as const;

/** Acknowledgements specific to one emotion; the generator mixes them with the valence-level ones above. */
export const EMOTION_ACKNOWLEDGEMENTS: Readonly<Record<Emotion, readonly string[]>> = {
  afraid: [
    "[When fear shows up|When you're scared like this], [naming what exactly worries you|writing down the specific worry|saying the fear out loud] can [shrink it to a size you can handle|make it easier to face|take away some of its power].",
    '[Fear like this|Being this scared] can make everything feel [bigger|more urgent|harder to think through] than it is.',
    "It's [okay|understandable] to be [frightened|scared] when {topic} [feels so uncertain|is out of your hands|is new to you].",
  ],
  angry: [
    "[Your anger is telling you something|That frustration is information], [and it deserves to be heard|so let's look at what it points to|and we can work with it].",
    '[Anger often shows up|That anger makes sense|Frustration like that tends to appear] when something [feels unfair|crosses a line|matters a lot to you].',
    "[It's fair|It's reasonable] to feel [angry|upset|worked up] about {topic}[, and we can use that energy well|; let's channel it into a plan|].",
  ],
  annoyed: [
    '[Anyone would be irritated|Most people would lose patience] [after dealing with that|with something like this|in your position].',
    "[Small irritations|Everyday hassles|Little frustrations] [can pile up fast|wear anyone down|add up quickly], so [it's no surprise|no wonder] you're [annoyed|fed up].",
    '[Being irritated by|Getting fed up with] {topic} is [understandable|very relatable|fair enough].',
  ],
  anticipating: [
    "[The wait can be the hardest part|Waiting tends to stretch time out|Anticipation can be exhausting], [so planning a little can help|so let's use the time well|but it also gives you room to prepare].",
    '[Waiting for something this important|Looking ahead to something like this|Counting down to it] can [stir up a lot of feelings|feel both exciting and tense|keep your mind busy].',
    "It's [natural|normal] to feel [eager|keyed up] as {topic} [gets closer|approaches|draws near].",
  ],
  anxious: [
    "[Feeling on edge|Living with that kind of worry] [takes a lot out of you|is tiring|can keep you from resting], [and it makes sense you want relief|so let's look for something steadying|and you deserve some calm].",
    '[Anxiety has a way of|Worry tends to|A nervous mind will often] [filling in the blanks with the worst case|running ahead of the facts|making things feel urgent].',
    "[It's understandable|It makes sense] to feel [worried|nervous|uneasy] when {topic} [is still unresolved|has so many unknowns|keeps coming back to mind].",
  ],
  apprehensive: [
    "[Being cautious|Feeling wary] here [is a sign you're thinking ahead|shows good judgment|is reasonable], [not a weakness|and it can guide your next step|and we can plan around it].",
    '[Hesitation|Some caution|A bit of wariness] before {topic} [is healthy|is often wise|shows you are taking it seriously].',
    "[Not being sure|Feeling unsure|Having doubts] about {topic} doesn't mean [it's the wrong choice|you can't handle it|you're failing].",
  ],
  ashamed: [
    '[Many people carry this kind of shame quietly|Shame tends to grow in silence], [so saying it here is a real step|so it matters that you spoke up|and talking about it is how it starts to loosen].',
    "[Shame can be so heavy|Shame is a painful feeling|Feeling ashamed hurts], but [it doesn't define you|you are more than this moment|it doesn't make you a bad person].",
    '[Talking about|Opening up about|Naming] {topic} [takes courage|is brave|is hard], especially when you feel ashamed.',
  ],
  caring: [
    '[The way you look out for others|Your concern for the people involved] [really comes through|is clear|is something to be proud of].',
    '[It is clear how much you care|Your care really shows|You clearly care a great deal], and [that matters|that is a real strength|the people around you are lucky].',
    '[Looking out for others|Caring this much] [can be tiring too|takes energy|is a gift], so [remember yourself as well|make room for your own needs|pace yourself].',
  ],
  confident: [
    '[Confidence built on effort|Assurance that comes from preparation] [tends to hold up under pressure|is the best kind|will carry you far].',
    "[That confidence is well placed|It's great to hear that confidence|You sound ready], and [it will serve you well|you've clearly prepared|it shows].",
    '[Feeling sure of yourself|Going in confident|Trusting your preparation] about {topic} is [a real asset|a strong start|worth holding on to].',
  ],
  content: [
    "[It's worth pausing|Take a moment] to [appreciate|notice|enjoy] [this feeling of being settled|how good it feels to be at ease|this calm].",
    "[It's lovely|It's good|It's wonderful] to hear you feel [settled|at peace|content] [right now|about this|with where things are].",
    '[Moments of contentment|Calm stretches like this|Settled times] are [worth noticing|worth savouring|a good base to build on].',
  ],
  devastated: [
    "[Something like this can knock the wind out of anyone|A loss like this can turn everything upside down], and [there's no timeline you have to follow|it's okay to take it slowly|you deserve care right now].",
    "[I'm so sorry|This is heartbreaking|That is a terrible blow]; [feeling devastated|being this shaken|this kind of pain] [makes complete sense|is a natural response to a real loss|is not something to rush].",
    "[There's no right way|You don't have to have it figured out|It's okay not to be okay] [after something like this|right now|while you take this in].",
  ],
  disappointed: [
    "[It's okay to grieve what you hoped for|Letting yourself feel the letdown is healthy], [before deciding what comes next|and then we can look at your options|and it won't always sting this much].",
    "[Disappointment stings|It's hard when things fall short|Being let down hurts], especially [after you hoped for more|when you put so much in|when it mattered to you].",
    '[Feeling discouraged|Being disappointed] about {topic} [is understandable|makes sense|is a fair reaction].',
  ],
  disgusted: [
    "[It's natural|It makes sense] to [pull back from|want distance from|react strongly to] something that [goes against your values|feels so wrong|crosses a line for you].",
    "[That sounds genuinely upsetting|No wonder you're appalled|That reaction is understandable], and [you're right to take it seriously|it's okay to step back from it|your values clearly matter to you].",
    '[Being sickened by|Feeling repulsed by] {topic} [tells you something matters|is a strong signal worth listening to|is understandable].',
  ],
  embarrassed: [
    '[You are probably being much harder on yourself|I suspect you are judging yourself more harshly] than [anyone else is|the people around you are|the moment deserves].',
    '[Embarrassing moments|Awkward moments like this] [feel huge to us|stick with us|replay in our heads] but [most people forget them quickly|others notice far less than we think|they fade].',
    "[It's okay|It's human|It happens to everyone] to feel [self-conscious|embarrassed|awkward] about {topic}.",
  ],
  excited: [
    "[It's lovely|It's wonderful|It's great] to hear [that spark|that kind of enthusiasm|so much energy] in what you wrote.",
    "[That excitement is contagious|I love that energy|How exciting]! [Let's make the most of it|Let's put it to good use|It's a great place to start].",
    '[Being this excited|Feeling thrilled] about {topic} [is wonderful|is a great sign|says a lot about how much it means to you].',
  ],
  faithful: [
    '[Sticking with something|Staying loyal to something] [through ups and downs|when it gets hard|over the long haul] [says a lot about your character|is a real strength|is worth honoring].',
    '[Your commitment|That kind of dedication|Your loyalty] [really shows|is admirable|says a lot about you].',
    '[Staying committed|Sticking with it|Staying devoted] to {topic} [takes real effort|is not easy|deserves recognition].',
  ],
  furious: [
    '[When anger runs this hot|With rage like this], [it helps to pause before acting|a short break can protect you|stepping back first keeps you in control], [so your next move serves you|and then we can plan|and your point still gets made].',
    "[Being this furious|Rage like that] usually means [something important was crossed|you've been pushed too far|something feels deeply unfair].",
    "[It's okay to be livid|Your anger is valid]; [let's find a way to act on it that helps you|let's turn it into a clear next step|taking a breath first can help you use it well].",
  ],
  grateful: [
    '[Noticing what went well|Taking time to feel thankful] [is good for you|can carry you through harder days|is a lovely habit].',
    '[Gratitude like that|Feeling thankful] [is a lovely thing to notice|can really lift a day|is worth holding on to].',
    "[It's wonderful|It's heartening] that you feel [grateful|thankful|appreciative] about {topic}.",
  ],
  guilty: [
    "[Owning your part|Taking responsibility] [is a mature step|says a lot about you|is how repair begins], and [you can be kind to yourself at the same time|it doesn't have to mean punishing yourself|that counts for something].",
    '[Guilt often means|Feeling guilty usually shows|That guilt is a sign] you care about [doing right|the people involved|your values][, which is a good thing|].',
    "[Being hard on yourself|Carrying guilt] about {topic} [won't change the past|can keep you stuck|is understandable], but [what you do next matters more|you can make things right from here|it can guide your next step].",
  ],
  hopeful: [
    "[That hopeful feeling|Your optimism] [is worth protecting|can carry you far|is a real resource], [especially with a plan behind it|so let's give it something to work with|and it makes the next step easier].",
    "[Hope is a powerful thing|It's good to hear that hope|Holding on to hope] [to build on|to carry forward|matters a lot].",
    '[Feeling optimistic|Being hopeful] about {topic} [is a great starting point|can keep you moving|is well founded if you plan for it].',
  ],
  impressed: [
    "[Being inspired|Admiring good work] [is a great starting point for your own growth|often sparks the best ideas|can show you what's possible].",
    "[It's inspiring|It's great|It's motivating] when [someone's example|a result like that|an experience like that] [lifts you up|sparks ideas|raises the bar].",
    '[Being impressed by|Feeling inspired by] {topic} [can be a great source of ideas|is a good sign you have found something worth learning from|is worth exploring].',
  ],
  jealous: [
    "[Envy can be uncomfortable|Jealousy can sting], but [it often hides a goal of your own|it can point you toward what you want|it doesn't make you a bad person].",
    "[Jealousy is a very human feeling|Envy happens to everyone|Feeling jealous doesn't make you a bad person], and [it often points to something you want|it can show you what matters to you|it's worth listening to gently].",
    '[Comparing yourself|Feeling left behind] when it comes to {topic} [is painful|can sting|is hard], [but your path is your own|and your progress counts too|yet it can guide your goals].',
  ],
  joyful: [
    '[Happiness like this|A joyful moment like this] [is worth savoring|deserves to be celebrated|is something to remember on harder days].',
    "[That's such happy news|What a joy|How wonderful]! [Take a moment to enjoy it|Let yourself savour this|You deserve to celebrate].",
    '[Feeling this happy|Feeling delighted] about {topic} is [wonderful to hear|a real gift|worth celebrating].',
  ],
  lonely: [
    '[Reaching out, even here,|Talking about it] [is a brave step|matters|is a real start] [when you feel this alone|toward more connection|when you feel isolated].',
    "[Loneliness can make everything feel heavier|Feeling alone is really hard|Being isolated wears on anyone], and [I'm glad you reached out|you deserve connection|it's not a personal failing].",
    '[Feeling disconnected|Being lonely] with {topic} [is more common than it seems|happens to many people|is hard to carry alone].',
  ],
  nostalgic: [
    '[Missing the past|Longing for how things were] often [shows what you value most|points to what you want more of|reminds us what mattered].',
    '[Looking back|Missing how things were|Remembering the past] can feel [warm and bittersweet at once|comforting and sad together|tender].',
    "[It's natural|It's normal] to feel [wistful|nostalgic] when {topic} [brings back memories|reminds you of another time|changes something familiar].",
  ],
  prepared: [
    '[Feeling ready|Being organized like this] [gives you a real advantage|takes a lot of pressure off|lets you focus on what matters].',
    '[Being prepared|Getting ready ahead of time|Planning like this] [puts you in a strong position|takes a lot of stress out|is a real advantage].',
    "[You've clearly done the groundwork|That preparation shows|You're well set up] for {topic}[, which is great|, and it will pay off|].",
  ],
  proud: [
    "[Take a moment to let it sink in|Let yourself enjoy this]; [you've earned it|it was hard won|moments like this matter].",
    '[You should be proud|That is a real achievement|Well done]! [It took effort to get here|Your hard work shows|This is worth celebrating].',
    '[Feeling proud of|Taking pride in] {topic} [is well deserved|is completely fair|is something to hold on to].',
  ],
  sad: [
    "[Sadness often means something mattered|Feeling this low is a sign of how much you care], and [it's okay to move through it slowly|you don't have to rush it|it's okay to ask for support].",
    "[I'm sorry you're feeling so low|Sadness like this is hard to carry|It's hard to feel this down], and [it's okay to let yourself feel it|you don't have to hide it|I'm glad you said something].",
    "[Feeling sad|Being down] about {topic} [makes sense|is understandable|is a natural reaction][, and it won't always feel this heavy|].",
  ],
  sentimental: [
    '[Those memories|Feelings like these] [are precious|are worth holding on to|say a lot about what you love].',
    '[Those feelings|That tenderness|Moments that move us like this] [show how much it means to you|are worth honouring|connect us to what matters].',
    "[It's lovely|It's natural|It's touching] to feel [moved|sentimental] about {topic}.",
  ],
  surprised: [
    '[Unexpected news|A surprise like this] [can take a while to sink in|can change how you see things|often needs a little time to digest].',
    '[Surprises like that|Something this unexpected|Being caught off guard] can [take a moment to process|throw off your plans|leave your head spinning].',
    "[It's okay|It's fine|It's normal] to need [a little time|a moment|some space] to [take in|make sense of|adjust to] {topic}.",
  ],
  terrified: [
    "[When fear is this intense|With terror like this], [your body is trying to protect you|it can be hard to think clearly|slowing your breathing can help a little], and [you don't have to handle it alone|help is available|we can take it one step at a time].",
    "[Being this terrified|Panic like this|Fear this strong] is [overwhelming|exhausting|really hard], and [you don't have to face it alone|we can take it one step at a time|it will ease].",
    '[Feeling frozen with fear|Being terrified] about {topic} [is a real and understandable reaction|makes sense|is not a weakness].',
  ],
  trusting: [
    '[Feeling safe enough to trust|That sense of trust] [is valuable|is worth nurturing|makes the next steps easier].',
    "[It's good|It's reassuring] to hear you [trust the process|feel safe with this|have confidence in the plan].",
    '[Trusting|Feeling reassured about] {topic} [can ease a lot of stress|is a good foundation|lets you focus on what you can do].',
  ],
};
