// Following Graph's @odata links: a link on our Graph origin becomes an SDK path; a link elsewhere is a provider
// failure (reported on the connection), never a plain Error that would answer 500.
import { describe, expect, it } from 'vitest'
import { graphPathFromLink } from '../../src/sync/microsoft-client.js'
import { ProviderError } from '../../src/sync/provider.js'

describe('graphPathFromLink', () => {
  it('turns a delta link on the Graph origin into a path under the version', () => {
    expect(
      graphPathFromLink(
        'https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=abc',
        'https://graph.microsoft.com/v1.0',
      ),
    ).toBe('/me/calendarView/delta?$deltatoken=abc')
    expect(
      graphPathFromLink(
        'http://127.0.0.1:4020/graph/v1.0/me/events?$skip=10',
        'http://127.0.0.1:4020/graph/v1.0',
      ),
    ).toBe('/me/events?$skip=10')
  })

  it('refuses a link to another origin as a provider failure', () => {
    const follow = () =>
      graphPathFromLink('https://evil.example/v1.0/me/events', 'https://graph.microsoft.com/v1.0')
    expect(follow).toThrow(ProviderError)
    expect(follow).toThrow(/another origin/)
  })
})
