variable "region" {
  description = "AWS region of the network; its zones a and b are used."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the network (its objects' Name tags)."
  type        = string
  default     = "ode-complete-network"
}

variable "flow_logs_destination_arn" {
  description = "An S3 bucket ARN (arn:aws:s3:::<bucket>) that receives the VPC's rejected traffic as flow logs; null for no flow logs."
  type        = string
  default     = null
}
