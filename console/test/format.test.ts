// The poster field: uploaded files go to the service by id, addresses as addresses.
import { describe, expect, it } from 'vitest'
import { posterFields } from '../src/utils/format'

describe('posterFields', () => {
  const origin = 'http://127.0.0.1:8080'
  it('sends an uploaded file of this service as poster_file_id', () => {
    expect(posterFields('/api/v1/files/42', origin)).toEqual({ poster_file_id: 42 })
    expect(posterFields('http://127.0.0.1:8080/api/v1/files/7', origin)).toEqual({ poster_file_id: 7 })
  })
  it('sends other addresses as poster_url, and "" to remove the poster', () => {
    expect(posterFields('https://example.org/a.jpg', origin)).toEqual({ poster_url: 'https://example.org/a.jpg' })
    expect(posterFields('https://other.example/api/v1/files/7', origin)).toEqual({ poster_url: 'https://other.example/api/v1/files/7' })
    expect(posterFields('/api/v1/files/7/thumb', origin)).toEqual({ poster_url: '/api/v1/files/7/thumb' })
    expect(posterFields('', origin)).toEqual({ poster_url: '' })
  })
})
