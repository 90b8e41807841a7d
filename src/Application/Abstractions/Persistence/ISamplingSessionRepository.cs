using TinkerServer.Domain.Sampling;
using TinkerServer.Domain.Sessions;

namespace TinkerServer.Application.Abstractions.Persistence;

public interface ISamplingSessionRepository
{
    Task<SamplingSession?> FindAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<SamplingSession>> ListBySessionAsync(SessionId sessionId, CancellationToken cancellationToken);

    void Add(SamplingSession samplingSession);
}
