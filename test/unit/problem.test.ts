// Schema errors become one message per field, named by a JSON pointer into the request.
import { describe, expect, it } from 'vitest'
import { fieldProblems } from '../../src/plugins/problem.js'

describe('fieldProblems', () => {
  it('names missing and unknown fields, one entry each', () => {
    expect(
      fieldProblems(
        [
          { keyword: 'required', instancePath: '', params: { requiredProperties: ['name', 'email'] } },
          { keyword: 'boolean', instancePath: '/colour', message: 'schema is false' },
          { keyword: 'additionalProperties', instancePath: '', params: { additionalProperties: ['colour'] } },
        ],
        'body',
      ),
    ).toEqual([
      { pointer: '/body/name', message: 'is required' },
      { pointer: '/body/email', message: 'is required' },
      { pointer: '/body/colour', message: 'is not a known field' },
    ])
  })

  it('folds the branches of a union into one message', () => {
    expect(
      fieldProblems(
        [
          { keyword: 'const', instancePath: '/hosts', params: { allowedValue: 'client' } },
          { keyword: 'const', instancePath: '/hosts', params: { allowedValue: 'both' } },
          { keyword: 'anyOf', instancePath: '/hosts', message: 'must match a schema in anyOf' },
          { keyword: 'type', instancePath: '/maxPerDay', params: { type: 'integer' } },
          { keyword: 'type', instancePath: '/maxPerDay', params: { type: 'null' } },
          { keyword: 'anyOf', instancePath: '/maxPerDay' },
        ],
        'body',
      ),
    ).toEqual([
      { pointer: '/body/hosts', message: 'must be one of "client", "both"' },
      { pointer: '/body/maxPerDay', message: 'must be integer or null' },
    ])
  })

  it('points into the query string and path parameters, escaping pointer characters', () => {
    expect(
      fieldProblems([{ keyword: 'minimum', instancePath: '/limit', message: 'must be >= 1' }], 'querystring'),
    ).toEqual([{ pointer: '/query/limit', message: 'must be >= 1' }])
    expect(
      fieldProblems(
        [{ keyword: 'required', instancePath: '', params: { requiredProperties: ['a/b'] } }],
        'params',
      ),
    ).toEqual([{ pointer: '/params/a~1b', message: 'is required' }])
  })
})
