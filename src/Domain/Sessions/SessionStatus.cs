namespace TinkerServer.Domain.Sessions;

public enum SessionStatus
{
    Active = 0,
    Expired = 1,
}
