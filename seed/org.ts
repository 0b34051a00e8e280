import { pick, rng } from './rng';

/** The demo organisation: a Chinese retail bank with three regions and ~40 branches, and a small English-language bank. */
export interface SeedBranch {
  code: string;
  name: string;
  region: string;
  city: string;
}
export interface SeedStaff {
  employeeId: string;
  name: string;
  branchCode: string;
  position: string;
}

const JN_REGIONS: { region: string; cities: { city: string; districts: string[] }[] }[] = [
  {
    region: '华东区',
    cities: [
      { city: '上海', districts: ['浦东', '徐汇', '静安', '黄浦', '长宁', '闵行'] },
      { city: '杭州', districts: ['西湖', '滨江', '拱墅', '萧山'] },
      { city: '南京', districts: ['鼓楼', '建邺', '玄武'] },
      { city: '苏州', districts: ['工业园区', '姑苏'] },
      { city: '宁波', districts: ['鄞州'] },
    ],
  },
  {
    region: '华南区',
    cities: [
      { city: '广州', districts: ['天河', '越秀', '海珠', '番禺'] },
      { city: '深圳', districts: ['福田', '南山', '罗湖', '宝安'] },
      { city: '厦门', districts: ['思明', '湖里'] },
      { city: '东莞', districts: ['南城', '东城'] },
    ],
  },
  {
    region: '华北区',
    cities: [
      { city: '北京', districts: ['朝阳', '海淀', '西城', '东城', '丰台'] },
      { city: '天津', districts: ['和平', '南开', '河西'] },
      { city: '济南', districts: ['历下', '市中'] },
      { city: '石家庄', districts: ['长安', '桥西'] },
    ],
  },
];

const REGION_CODES: Record<string, string> = { 华东区: 'E', 华南区: 'S', 华北区: 'N' };

export function jiangnanBranches(): SeedBranch[] {
  const out: SeedBranch[] = [];
  for (const r of JN_REGIONS) {
    let n = 0;
    for (const c of r.cities) {
      for (const d of c.districts) {
        n++;
        out.push({
          code: `JN-${REGION_CODES[r.region]}${String(n).padStart(2, '0')}`,
          name: `${c.city}${d}支行`,
          region: r.region,
          city: c.city,
        });
      }
    }
  }
  return out;
}

const SURNAMES = [
  '王',
  '李',
  '张',
  '刘',
  '陈',
  '杨',
  '黄',
  '赵',
  '吴',
  '周',
  '徐',
  '孙',
  '马',
  '朱',
  '胡',
  '郭',
  '何',
  '林',
  '罗',
  '高',
  '郑',
  '梁',
  '谢',
  '宋',
  '唐',
  '许',
  '韩',
  '冯',
  '邓',
  '曹',
];
const GIVEN = [
  '伟',
  '芳',
  '娜',
  '敏',
  '静',
  '丽',
  '强',
  '磊',
  '洋',
  '艳',
  '勇',
  '军',
  '杰',
  '娟',
  '涛',
  '明',
  '超',
  '秀英',
  '霞',
  '平',
  '刚',
  '桂英',
  '晓燕',
  '思远',
  '子涵',
  '雨桐',
  '浩然',
  '欣怡',
  '俊杰',
  '佳琪',
  '宇轩',
  '梓萱',
];
const POSITIONS = ['大堂经理', '理财经理', '柜员', '客户经理', '柜员', '理财经理'];

export function jiangnanStaff(branches: SeedBranch[], total = 200): SeedStaff[] {
  const r = rng(20260927);
  const out: SeedStaff[] = [];
  for (let i = 0; i < total; i++) {
    const branch = branches[i % branches.length];
    const position = i < branches.length ? '支行行长' : pick(r, POSITIONS);
    out.push({
      employeeId: `E${String(100001 + i)}`,
      name: pick(r, SURNAMES) + pick(r, GIVEN),
      branchCode: branch.code,
      position,
    });
  }
  return out;
}

export function harbourBranches(): SeedBranch[] {
  return [
    { code: 'HB-K01', name: 'Kowloon Central', region: 'Kowloon', city: 'Hong Kong' },
    { code: 'HB-K02', name: 'Mong Kok', region: 'Kowloon', city: 'Hong Kong' },
    { code: 'HB-K03', name: 'Tsim Sha Tsui', region: 'Kowloon', city: 'Hong Kong' },
    { code: 'HB-I01', name: 'Central', region: 'Hong Kong Island', city: 'Hong Kong' },
    { code: 'HB-I02', name: 'Causeway Bay', region: 'Hong Kong Island', city: 'Hong Kong' },
    { code: 'HB-I03', name: 'Quarry Bay', region: 'Hong Kong Island', city: 'Hong Kong' },
  ];
}

const EN_FIRST = ['Alex', 'Brian', 'Carmen', 'Daisy', 'Edmund', 'Fiona', 'Gordon', 'Helen', 'Ivan', 'Joyce'];
const EN_LAST = ['Chan', 'Wong', 'Lee', 'Cheung', 'Lau', 'Ng', 'Ho', 'Leung'];

export function harbourStaff(branches: SeedBranch[], total = 30): SeedStaff[] {
  const r = rng(852);
  return Array.from({ length: total }, (_, i) => ({
    employeeId: `H${String(5001 + i)}`,
    name: `${pick(r, EN_FIRST)} ${pick(r, EN_LAST)}`,
    branchCode: branches[i % branches.length].code,
    position: pick(r, ['Teller', 'Relationship Manager', 'Lobby Manager', 'Wealth Adviser']),
  }));
}
